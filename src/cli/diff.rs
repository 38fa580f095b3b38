//! `aaprove diff BASE NEW`: what two profiles decide differently, as
//! regions of paths computed on automata, with the rule view and the
//! non-file rules; and the loading of a profile (a file or the built-in
//! `docker-default`) that `diff` and `map` share.
//!
//! Exit codes follow diff(1): 0 when the profiles are equivalent (no file
//! region differs and every non-file rule of each side is covered by the
//! other), 1 when they differ, 2 on errors. `--quiet` prints nothing and
//! only sets the exit code.

use std::io::{self, Write};
use std::path::PathBuf;

use anstyle::{AnsiColor, Style};
use clap::Args;
use serde::Serialize;

use crate::analyze::diff::{
    Change, Deviation, DiffInput, DiffOptions, Direction, Inventory, ProfileDiff, Region,
    RegionWitness, SetSize, Side, SideVerdict, Slice, diff_profiles, display_path,
};
use crate::analyze::map::{MapAccess, MapDecision};
use crate::analyze::other_rules::{Comparison, Uncovered};
use crate::analyze::rule_diff::{ChangedField, NormalRule, RuleChange, qualifiers_text};
use crate::analyze::witness;
use crate::claim::{self, RuleClaim};
use crate::compile::Half;
use crate::model::{FilePerms, Origin, OtherRule, Profile};
use crate::report::text as diagnostic_text;
use crate::resolve::{self, ResolveOptions};
use crate::source::SourceMap;

use super::{FormatArg, GlobalArgs, LoadArgs, Status, after_output, color_choice, print_error};

/// An inventory file larger than this is refused rather than read.
const MAX_INVENTORY_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 when the profiles are equivalent, 1 when they differ, \
2 on errors. With -q nothing is printed; only the exit status tells."
)]
pub struct DiffArgs {
    /// The base profile: a file, or `docker-default` for the built-in one.
    #[arg(value_name = "BASE")]
    pub base: String,
    /// The new profile: a file, or `docker-default` for the built-in one.
    #[arg(value_name = "NEW")]
    pub new: String,
    /// The permission letters to compare, each on its own (any of `rwalkmx`).
    #[arg(long, value_name = "SET", default_value = "rwalkmx")]
    pub perm: String,
    /// Compare only the paths this AppArmor pattern matches (such as `/proc/**`).
    #[arg(long, value_name = "PATTERN")]
    pub within: Option<String>,
    /// The profile to compare when a file holds several (a child or hat as `parent//child`).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Real paths to count and show first, one a line (repeatable); replaces
    /// the built-in inventory of /proc and /sys.
    #[arg(long, value_name = "FILE")]
    pub inventory: Vec<PathBuf>,
    #[command(flatten)]
    pub load: LoadArgs,
}

pub fn run(args: &DiffArgs, global: &GlobalArgs) -> Status {
    if global.format == FormatArg::Sarif {
        print_error("`--format sarif` is for diagnostics; `diff` prints text or json");
        return Status::Failure;
    }
    match compare(args) {
        Ok(report) => {
            let status = if report.diff.equivalent() {
                Status::Clean
            } else {
                Status::Findings
            };
            if global.quiet > 0 {
                return status;
            }
            let status = after_output(status, print_report(&report, global));
            if global.format == FormatArg::Text {
                let verdict = verdict_text(&report.diff);
                let mut stderr =
                    anstream::AutoStream::new(io::stderr(), color_choice(global.color));
                let _ = write!(stderr, "{verdict}");
            }
            status
        }
        Err(message) => {
            print_error(&message);
            Status::Failure
        }
    }
}

/// The two loaded sides and their diff.
pub struct DiffReport {
    pub base: LoadedProfile,
    pub new: LoadedProfile,
    pub options: DiffOptions,
    pub diff: ProfileDiff,
    /// How many real paths the inventory holds.
    pub inventory_size: usize,
}

fn compare(args: &DiffArgs) -> Result<DiffReport, String> {
    let perms = parse_perms(&args.perm)?;
    let inventory = read_inventory(&args.inventory)?;
    let options = args.load.resolve_options();
    let base = load_profile(&args.base, args.profile.as_deref(), &options)?;
    let new = load_profile(&args.new, args.profile.as_deref(), &options)?;
    let options = DiffOptions {
        perms,
        within: args.within.clone(),
        ..DiffOptions::default()
    };
    let started = std::time::Instant::now();
    let diff = diff_profiles(base.input(), new.input(), &options, &inventory)
        .map_err(|error| error.to_string())?;
    log::info!("compared the profiles in {:?}", started.elapsed());
    Ok(DiffReport {
        base,
        new,
        options,
        diff,
        inventory_size: inventory.paths().len(),
    })
}

/// Reads a set of permission letters such as `w` or `rwklx`.
pub(super) fn parse_perms(text: &str) -> Result<FilePerms, String> {
    match FilePerms::from_letters(text) {
        Some(perms) if !perms.is_empty() => Ok(perms),
        _ => Err(format!(
            "`{text}` is not a set of permission letters; write letters of `rwalkmx`"
        )),
    }
}

/// The inventory of real paths: the files given, else the built-in one.
pub(super) fn read_inventory(files: &[PathBuf]) -> Result<Inventory, String> {
    if files.is_empty() {
        return Ok(Inventory::builtin());
    }
    let mut inventory = Inventory::default();
    for file in files {
        inventory.add_text(&read_text_file(file)?);
    }
    Ok(inventory)
}

/// Reads a text file of at most [`MAX_INVENTORY_BYTES`].
pub(super) fn read_text_file(file: &std::path::Path) -> Result<String, String> {
    let shown = file.display();
    let size = std::fs::metadata(file)
        .map_err(|error| format!("cannot read `{shown}`: {error}"))?
        .len();
    if size > MAX_INVENTORY_BYTES {
        return Err(format!(
            "`{shown}` has {size} bytes, more than the limit of {MAX_INVENTORY_BYTES}"
        ));
    }
    std::fs::read_to_string(file).map_err(|error| format!("cannot read `{shown}`: {error}"))
}

/// A profile read for `diff` or `map`, with the files its rules come from.
pub struct LoadedProfile {
    /// As given on the command line: a path or `docker-default`.
    pub input: String,
    pub sources: SourceMap,
    pub profile: Profile,
    /// The deny rules whose trailing comment has a checkable claim.
    pub claims: Vec<RuleClaim>,
}

impl LoadedProfile {
    fn input(&self) -> DiffInput<'_> {
        DiffInput {
            profile: &self.profile,
            claims: &self.claims,
        }
    }
}

/// Reads `input` (a file, or the name of a built-in profile) and picks its
/// profile: the only one, or the one called `name`. Resolution errors are
/// printed on stderr and make this fail.
pub(super) fn load_profile(
    input: &str,
    name: Option<&str>,
    options: &ResolveOptions,
) -> Result<LoadedProfile, String> {
    let source = super::profile_input(input);
    log::info!("loading {input}");
    let resolved = resolve::load(source, options);
    if resolved.has_errors() {
        let mut stderr = io::stderr().lock();
        for diagnostic in resolved.diagnostics.iter().filter(|d| d.is_error()) {
            let rendered = diagnostic_text::render(diagnostic, &resolved.sources, false);
            let _ = writeln!(stderr, "{rendered}");
        }
        return Err(format!("`{input}` has errors; fix them before comparing"));
    }
    let profile = pick_profile(input, resolved.profiles, name)?;
    let claims = claim::rule_claims(&profile, &resolved.sources);
    Ok(LoadedProfile {
        input: input.to_string(),
        sources: resolved.sources,
        profile,
        claims,
    })
}

/// The profile called `name` (a child profile or hat as `parent//child`),
/// else the only top-level profile.
///
/// FIXME: a profile is compared without its child profiles and hats; a
/// difference that lies only in a child is reported only when the child
/// is compared itself (`--profile parent//child`).
fn pick_profile(
    input: &str,
    mut profiles: Vec<Profile>,
    name: Option<&str>,
) -> Result<Profile, String> {
    if let Some(found) = name.and_then(|name| find_profile(&profiles, name)) {
        return Ok(found.clone());
    }
    match profiles.len() {
        0 => Err(format!("`{input}` holds no profile")),
        1 => Ok(profiles.remove(0)),
        count => {
            let names: Vec<&str> = profiles.iter().map(|p| p.name.as_str()).collect();
            let hint = match name {
                Some(name) => format!("none is called `{name}`"),
                None => "choose one with `--profile NAME`".to_string(),
            };
            Err(format!(
                "`{input}` holds {count} profiles ({}); {hint}",
                names.join(", ")
            ))
        }
    }
}

/// The profile named `name`, or the child that `parent//child` names.
fn find_profile<'p>(profiles: &'p [Profile], name: &str) -> Option<&'p Profile> {
    if let Some(found) = profiles.iter().find(|p| p.name == name) {
        return Some(found);
    }
    let (parent, rest) = name.split_once("//")?;
    let parent = profiles.iter().find(|p| p.name == parent)?;
    find_profile(&parent.children, rest)
}

fn print_report(report: &DiffReport, global: &GlobalArgs) -> io::Result<()> {
    let stdout = io::stdout().lock();
    if global.format == FormatArg::Json {
        let mut out = stdout;
        serde_json::to_writer(&mut out, &json_report(report))?;
        writeln!(out)?;
        return out.flush();
    }
    let mut out = anstream::AutoStream::new(stdout, color_choice(global.color));
    write!(out, "{}", render_text(report))?;
    out.flush()
}

/// Where a rule is written, as shown: `file:line:column`, the line as
/// written (comment included), and the include lines that led there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleSite {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub text: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub included_from: Vec<String>,
}

impl RuleSite {
    fn of(origin: &Origin, sources: &SourceMap) -> RuleSite {
        let file = sources.get(origin.span.file);
        let place = file.line_col(origin.span.start);
        let line_text = file.line_text(file.line_index(origin.span.start));
        let included_from = origin.include_chain.iter().map(|&span| {
            let file = sources.get(span.file);
            let place = file.line_col(span.start);
            format!("{}:{}:{}", file.name, place.line, place.column)
        });
        RuleSite {
            file: file.name.clone(),
            line: place.line,
            column: place.column,
            text: line_text.trim().to_string(),
            included_from: included_from.collect(),
        }
    }

    fn location(&self) -> String {
        format!("{}:{}:{}", self.file, self.line, self.column)
    }
}

fn paint(text: &str, style: Style) -> String {
    format!("{style}{text}{style:#}")
}

fn bold() -> Style {
    Style::new().bold()
}

fn dim() -> Style {
    Style::new().dimmed()
}

fn coloured(colour: AnsiColor) -> Style {
    Style::new().fg_color(Some(colour.into()))
}

/// The whole text report, with ANSI styles (stripped when not wanted);
/// the verdict line goes to stderr, as every command's summary does.
pub fn render_text(report: &DiffReport) -> String {
    let mut out = String::new();
    out.push_str(&header_text(report));
    out.push('\n');
    out.push_str(&regions_text(report));
    out.push('\n');
    out.push_str(&rule_view_text(report));
    out.push('\n');
    out.push_str(&other_rules_text(report));
    out
}

fn header_text(report: &DiffReport) -> String {
    let side = |sign: &str, loaded: &LoadedProfile, colour| {
        let head = paint(&format!("{sign} {}", loaded.input), coloured(colour).bold());
        format!("{head} (profile {})\n", loaded.profile.name)
    };
    let within = match &report.options.within {
        Some(pattern) => format!("within `{pattern}`"),
        None => "on every path".to_string(),
    };
    format!(
        "{}{}compared: {} in the owner and other halves, {within}\n",
        side("---", &report.base, AnsiColor::Red),
        side("+++", &report.new, AnsiColor::Green),
        report.options.perms.letters(),
    )
}

fn regions_text(report: &DiffReport) -> String {
    let regions = &report.diff.regions;
    let mut out = paint("File permissions", bold());
    if regions.is_empty() {
        out.push_str(": both profiles decide every compared path alike\n");
        return out;
    }
    out.push_str(&format!(
        ": {} where they differ\n",
        count_text(regions.len(), "region")
    ));
    for region in regions {
        out.push('\n');
        out.push_str(&region_text(region, report));
    }
    out
}

/// The size of a region, counted on its automaton.
fn size_text(size: SetSize) -> String {
    match size {
        SetSize::Empty => "none".to_string(),
        SetSize::Finite(count) => match usize::try_from(count) {
            Ok(count) => thousands(count),
            Err(_) => count.to_string(),
        },
        SetSize::FiniteHuge => "finitely many, more than 2^128".to_string(),
        SetSize::Infinite => "infinitely many".to_string(),
    }
}

/// The size as `{"kind": "finite", "count": N}` (the count as a string
/// when it does not fit a JSON number safely), or `{"kind": "infinite"}`.
fn size_json(size: SetSize) -> serde_json::Value {
    match size {
        SetSize::Empty => serde_json::json!({"kind": "empty"}),
        SetSize::Finite(count) => match u64::try_from(count) {
            Ok(count) if count < 1 << 53 => serde_json::json!({"kind": "finite", "count": count}),
            _ => serde_json::json!({"kind": "finite", "count": count.to_string()}),
        },
        SetSize::FiniteHuge => serde_json::json!({"kind": "finite_huge"}),
        SetSize::Infinite => serde_json::json!({"kind": "infinite"}),
    }
}

/// `18,888`.
fn thousands(count: usize) -> String {
    let digits = count.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn count_text(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// `w, a (owner, other)`: the letters, then the halves, when every letter
/// has the same halves; else each slice as `w (owner)`.
pub fn slices_text(slices: &[Slice]) -> String {
    let mut letters: Vec<FilePerms> = Vec::new();
    for slice in slices {
        if !letters.contains(&slice.perm) {
            letters.push(slice.perm);
        }
    }
    let halves_of = |perm: FilePerms| -> Vec<Half> {
        let of_perm = slices.iter().filter(|s| s.perm == perm);
        of_perm.map(|s| s.half).collect()
    };
    let halves_text = |halves: &[Half]| -> String {
        halves
            .iter()
            .map(|&h| half_name(h))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let first = halves_of(letters[0]);
    if letters.iter().all(|&perm| halves_of(perm) == first) {
        let names: Vec<String> = letters.iter().map(|perm| perm.letters()).collect();
        return format!("{} ({})", names.join(", "), halves_text(&first));
    }
    let each = letters
        .iter()
        .map(|&perm| format!("{} ({})", perm.letters(), halves_text(&halves_of(perm))));
    each.collect::<Vec<_>>().join(", ")
}

fn half_name(half: Half) -> &'static str {
    match half {
        Half::Owner => "owner",
        Half::Other => "other",
    }
}

fn change_sign_and_text(change: Change) -> (&'static str, &'static str, AnsiColor) {
    match change {
        Change::Gained => ("+", "allowed by new only", AnsiColor::Green),
        Change::Lost => ("-", "allowed by base only", AnsiColor::Red),
        Change::ExecChanged => ("~", "exec mode changed", AnsiColor::Yellow),
    }
}

fn region_text(region: &Region, report: &DiffReport) -> String {
    let (sign, what, colour) = change_sign_and_text(region.change);
    let head = format!("{sign} {}: {what}", slices_text(&region.slices));
    let mut out = format!("{}\n", paint(&head, coloured(colour).bold()));
    let coverage = if region.summary_complete {
        "together they cover the whole region"
    } else {
        "they do not cover the whole region"
    };
    out.push_str(&format!(
        "    inside the region ({} proven by automata; {coverage}):\n",
        count_text(region.summary.len(), "pattern")
    ));
    for pattern in &region.summary {
        out.push_str(&format!("      {pattern}\n"));
    }
    out.push_str(&format!(
        "    paths in the region: {}; real paths: {} of the {} in the inventory\n",
        size_text(region.size),
        region.real_count,
        thousands(report.inventory_size)
    ));
    out.push_str(&deviations_text(region, report));
    for witness in &region.witnesses {
        out.push_str(&witness_text(witness, region, report));
    }
    out
}

/// The loaded profile of `side`.
fn loaded(report: &DiffReport, side: Side) -> &LoadedProfile {
    match side {
        Side::Base => &report.base,
        Side::New => &report.new,
    }
}

/// Where the rule of a deviation is written.
fn deviation_site(deviation: &Deviation, report: &DiffReport) -> RuleSite {
    let loaded = loaded(report, deviation.side);
    RuleSite::of(
        &loaded.profile.file_rules[deviation.rule].origin,
        &loaded.sources,
    )
}

/// For each rule that departs from its comment inside the region, a
/// headline with the rule, then one line per direction.
fn deviations_text(region: &Region, report: &DiffReport) -> String {
    let mut out = String::new();
    let mut previous: Option<(Side, usize)> = None;
    for deviation in &region.deviations {
        if previous != Some((deviation.side, deviation.rule)) {
            let site = deviation_site(deviation, report);
            let head = format!(
                "where the {} rule at {} does not do what its comment says:",
                deviation.side.name(),
                site.location(),
            );
            let head = paint(&head, coloured(AnsiColor::Yellow));
            out.push_str(&format!("    {head}\n      {}\n", site.text));
            previous = Some((deviation.side, deviation.rule));
        }
        out.push_str(&format!("      {}\n", deviation_statement(deviation)));
    }
    out
}

/// "the comment says it denies `a`, `b`, ...; its pattern does not match
/// them (33 real paths)".
fn deviation_statement(deviation: &Deviation) -> String {
    let mut paths: Vec<String> = deviation
        .examples
        .iter()
        .map(|example| format!("`{}`", display_path(&example.path)))
        .collect();
    let more = match witness::set_size(&deviation.set) {
        SetSize::Finite(count) => count > paths.len() as u128,
        SetSize::Empty => false,
        SetSize::FiniteHuge | SetSize::Infinite => true,
    };
    if more {
        paths.push("...".to_string());
    }
    let (says, does) = match deviation.direction {
        Direction::Unmatched => ("denies", "its pattern does not match them"),
        Direction::Matched => ("does not deny", "its pattern matches them"),
    };
    format!(
        "the comment says it {says} {}; {does} ({} of the region)",
        paths.join(", "),
        count_text(deviation.real_count, "real path")
    )
}

/// The line under a witness that lies where a rule departs from its
/// comment.
fn witness_deviation_text(deviation: &Deviation, report: &DiffReport) -> String {
    let says = match deviation.direction {
        Direction::Unmatched => "denies it; its pattern does not match it",
        Direction::Matched => "does not deny it; its pattern matches it",
    };
    let site = deviation_site(deviation, report);
    let text = format!(
        "! the comment of the {} rule at {} says it {says}",
        deviation.side.name(),
        site.location()
    );
    format!("      {}\n", paint(&text, coloured(AnsiColor::Yellow)))
}

fn witness_text(witness: &RegionWitness, region: &Region, report: &DiffReport) -> String {
    let kind = if witness.real {
        "real path"
    } else {
        "shortest path"
    };
    let mut out = format!(
        "    {} {}\n",
        paint(&display_path(&witness.path), bold()),
        paint(&format!("({kind})"), dim())
    );
    let sides = [
        ("base", &witness.base, &report.base),
        ("new", &witness.new, &report.new),
    ];
    for (name, verdict, loaded) in sides {
        out.push_str(&verdict_lines(name, verdict, &region.slices, loaded));
    }
    for &index in &witness.deviations {
        out.push_str(&witness_deviation_text(&region.deviations[index], report));
    }
    out
}

/// `base  deny   FILE:LINE:COL  RULE LINE`, one more line per further
/// deciding rule.
fn verdict_lines(
    name: &str,
    verdict: &SideVerdict,
    slices: &[Slice],
    loaded: &LoadedProfile,
) -> String {
    let (mut decision, width) = access_text(&verdict.access, slices);
    if let Some(exec) = &verdict.exec {
        decision.push_str(&format!(" {exec}"));
    }
    // Pad the plain text to the widest single decision, `allow`.
    let padding = " ".repeat(5usize.saturating_sub(width));
    let decision = format!("{decision}{padding}");
    let lead = format!("      {name:<4}  {decision}");
    let rules = &loaded.profile.file_rules;
    let sites: Vec<RuleSite> = verdict
        .rules
        .iter()
        .map(|&index| RuleSite::of(&rules[index].origin, &loaded.sources))
        .collect();
    if sites.is_empty() {
        let reason = paint("no rule allows or denies it", dim());
        return format!("{lead}  {reason}\n");
    }
    let indent = " ".repeat(lead.chars().count());
    let mut out = String::new();
    for (i, site) in sites.iter().enumerate() {
        let prefix = if i == 0 { lead.clone() } else { indent.clone() };
        let location = paint(&site.location(), dim());
        out.push_str(&format!("{prefix}  {location}  {}\n", site.text));
    }
    out
}

/// The decision of one side, painted, and the width of its plain text:
/// `deny`, or `w owner: deny, a owner: none` when the slices are decided
/// differently.
fn access_text(access: &[MapAccess], slices: &[Slice]) -> (String, usize) {
    if access.iter().all(|a| *a == access[0]) {
        let label = access[0].label();
        return (paint(&label, access[0].style()), label.len());
    }
    let mut width = 0;
    let each = access.iter().zip(slices).map(|(a, slice)| {
        let letter = slice.perm.letters();
        let half = half_name(slice.half);
        let label = a.label();
        width += letter.len() + half.len() + label.len() + 5;
        format!("{letter} {half}: {}", paint(&label, a.style()))
    });
    (each.collect::<Vec<_>>().join(", "), width)
}

fn rule_view_text(report: &DiffReport) -> String {
    let changes = &report.diff.rule_changes;
    let mut out = paint("File rules as written", bold());
    if changes.is_empty() {
        out.push_str(": the same after normalisation\n");
        return out;
    }
    out.push_str(&format!(
        ": {} (after variable expansion; a different text may mean the same paths)\n",
        count_text(changes.len(), "change")
    ));
    for change in changes {
        out.push_str(&rule_change_text(change, report));
    }
    out
}

fn rule_change_text(change: &RuleChange, report: &DiffReport) -> String {
    let line = |sign: &str, rule: &NormalRule, loaded: &LoadedProfile, colour| {
        let sites: Vec<String> = rule
            .origins
            .iter()
            .map(|origin| RuleSite::of(origin, &loaded.sources).location())
            .collect();
        let text = paint(&format!("{sign} {rule}"), coloured(colour));
        format!("  {text}  {}\n", paint(&sites.join(", "), dim()))
    };
    match change {
        RuleChange::Added(rule) => line("+", rule, &report.new, AnsiColor::Green),
        RuleChange::Removed(rule) => line("-", rule, &report.base, AnsiColor::Red),
        RuleChange::Changed { before, after } => {
            let fields: Vec<&str> = change
                .changed_fields()
                .into_iter()
                .map(field_name)
                .collect();
            format!(
                "{}{}    {}\n",
                line("-", before, &report.base, AnsiColor::Red),
                line("+", after, &report.new, AnsiColor::Green),
                paint(&format!("(changed: {})", fields.join(", ")), dim())
            )
        }
    }
}

fn field_name(field: ChangedField) -> &'static str {
    match field {
        ChangedField::Permissions => "permissions",
        ChangedField::Exec => "exec mode",
        ChangedField::Link => "link target",
        ChangedField::Audit => "audit",
        ChangedField::Owner => "owner",
        ChangedField::Priority => "priority",
    }
}

fn other_rules_text(report: &DiffReport) -> String {
    let other = &report.diff.other_rules;
    let mut out = paint("Non-file rules", bold());
    let total = other.only_in_base.len() + other.only_in_new.len();
    if total == 0 {
        out.push_str(": each side covers every rule of the other\n");
        return out;
    }
    out.push_str(&format!(
        ": {} not covered by the other side\n",
        count_text(total, "rule")
    ));
    let sides = [
        ("-", &other.only_in_base, &report.base, AnsiColor::Red),
        ("+", &other.only_in_new, &report.new, AnsiColor::Green),
    ];
    for (sign, rules, loaded, colour) in sides {
        for uncovered in rules {
            out.push_str(&uncovered_text(sign, uncovered, loaded, colour));
        }
    }
    out
}

fn uncovered_text(
    sign: &str,
    uncovered: &Uncovered,
    loaded: &LoadedProfile,
    colour: AnsiColor,
) -> String {
    let site = RuleSite::of(&uncovered.rule.origin, &loaded.sources);
    let mut note = match uncovered.comparison {
        Comparison::Meaning => String::new(),
        Comparison::Text => " (compared as text)".to_string(),
    };
    if let Some(missing) = &uncovered.missing {
        note.push_str(&format!(" (not covered: {})", missing.join(", ")));
    }
    let rule = other_rule_text(&uncovered.rule);
    let text = paint(&format!("{sign} {rule}"), coloured(colour));
    format!(
        "  {text}{}  {}\n",
        paint(&note, dim()),
        paint(&site.location(), dim())
    )
}

/// A non-file rule as compared: qualifiers, kind and normalised body, with
/// variables expanded.
fn other_rule_text(rule: &OtherRule) -> String {
    let qualifiers = qualifiers_text(&rule.qualifiers);
    if rule.body.is_empty() {
        format!("{qualifiers}{},", rule.kind)
    } else {
        format!("{qualifiers}{} {},", rule.kind, rule.body)
    }
}

fn verdict_text(diff: &ProfileDiff) -> String {
    if diff.equivalent() {
        return paint("The profiles are equivalent.", bold()) + "\n";
    }
    let other = diff.other_rules.only_in_base.len() + diff.other_rules.only_in_new.len();
    let text = format!(
        "The profiles differ: {} of file permissions, {}.",
        count_text(diff.regions.len(), "region"),
        count_text(other, "non-file rule")
    );
    paint(&text, bold()) + "\n"
}

/// The report as one JSON document.
fn json_report(report: &DiffReport) -> serde_json::Value {
    let side = |loaded: &LoadedProfile| serde_json::json!({"input": loaded.input, "profile": loaded.profile.name});
    let regions: Vec<serde_json::Value> = report
        .diff
        .regions
        .iter()
        .map(|region| json_region(region, report))
        .collect();
    serde_json::json!({
        "base": side(&report.base),
        "new": side(&report.new),
        "perms": report.options.perms.letters(),
        "within": report.options.within,
        "equivalent": report.diff.equivalent(),
        "inventory_size": report.inventory_size,
        "regions": regions,
        "rule_changes": json_rule_changes(report),
        "other_rules": json_other_rules(report),
    })
}

fn change_name(change: Change) -> &'static str {
    match change {
        Change::Gained => "gained",
        Change::Lost => "lost",
        Change::ExecChanged => "exec_changed",
    }
}

fn json_region(region: &Region, report: &DiffReport) -> serde_json::Value {
    let slices: Vec<serde_json::Value> = region
        .slices
        .iter()
        .map(|s| serde_json::json!({"perm": s.perm.letters(), "half": half_name(s.half)}))
        .collect();
    let verdict = |verdict: &SideVerdict, loaded: &LoadedProfile| {
        let rules = &loaded.profile.file_rules;
        let sites: Vec<RuleSite> = verdict
            .rules
            .iter()
            .map(|&index| RuleSite::of(&rules[index].origin, &loaded.sources))
            .collect();
        let access: Vec<String> = verdict.access.iter().map(MapDecision::label).collect();
        serde_json::json!({"access": access, "exec": verdict.exec, "rules": sites})
    };
    let witnesses: Vec<serde_json::Value> = region
        .witnesses
        .iter()
        .map(|w| {
            serde_json::json!({
                "path": display_path(&w.path),
                "real": w.real,
                "base": verdict(&w.base, &report.base),
                "new": verdict(&w.new, &report.new),
                "comment_deviations": w.deviations,
            })
        })
        .collect();
    serde_json::json!({
        "change": change_name(region.change),
        "slices": slices,
        "summary": region.summary,
        "summary_complete": region.summary_complete,
        "size": size_json(region.size),
        "real_count": region.real_count,
        "witnesses": witnesses,
        "comment_deviations": json_deviations(region, report),
    })
}

/// The region's deviations; a witness's `comment_deviations` are indices
/// into this list.
fn json_deviations(region: &Region, report: &DiffReport) -> Vec<serde_json::Value> {
    let each = region.deviations.iter().map(|deviation| {
        let examples: Vec<serde_json::Value> = deviation
            .examples
            .iter()
            .map(|e| serde_json::json!({"path": display_path(&e.path), "real": e.real}))
            .collect();
        serde_json::json!({
            "side": deviation.side.name(),
            "rule": deviation_site(deviation, report),
            "comment": deviation.comment,
            "direction": deviation.direction.name(),
            "statement": deviation_statement(deviation),
            "real_count": deviation.real_count,
            "examples": examples,
        })
    });
    each.collect()
}

fn json_rule_changes(report: &DiffReport) -> Vec<serde_json::Value> {
    let rule = |rule: &NormalRule, loaded: &LoadedProfile| {
        let sites: Vec<RuleSite> = rule
            .origins
            .iter()
            .map(|origin| RuleSite::of(origin, &loaded.sources))
            .collect();
        serde_json::json!({"rule": rule.to_string(), "sites": sites})
    };
    let changes = report.diff.rule_changes.iter();
    changes
        .map(|change| match change {
            RuleChange::Added(r) => {
                serde_json::json!({"change": "added", "new": rule(r, &report.new)})
            }
            RuleChange::Removed(r) => {
                serde_json::json!({"change": "removed", "base": rule(r, &report.base)})
            }
            RuleChange::Changed { before, after } => {
                let fields: Vec<&str> = change
                    .changed_fields()
                    .into_iter()
                    .map(field_name)
                    .collect();
                serde_json::json!({
                    "change": "changed",
                    "base": rule(before, &report.base),
                    "new": rule(after, &report.new),
                    "fields": fields,
                })
            }
        })
        .collect()
}

fn json_other_rules(report: &DiffReport) -> serde_json::Value {
    let list = |rules: &[Uncovered], loaded: &LoadedProfile| -> Vec<serde_json::Value> {
        let each = rules.iter().map(|uncovered| {
            let comparison = match uncovered.comparison {
                Comparison::Meaning => "meaning",
                Comparison::Text => "text",
            };
            serde_json::json!({
                "rule": other_rule_text(&uncovered.rule),
                "site": RuleSite::of(&uncovered.rule.origin, &loaded.sources),
                "comparison": comparison,
                "missing": uncovered.missing,
            })
        });
        each.collect()
    };
    let other = &report.diff.other_rules;
    serde_json::json!({
        "only_in_base": list(&other.only_in_base, &report.base),
        "only_in_new": list(&other.only_in_new, &report.new),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_are_grouped_by_letter_when_halves_agree() {
        let slice = |perm: &str, half| Slice {
            perm: FilePerms::from_letters(perm).unwrap(),
            half,
        };
        let (owner, other) = (Half::Owner, Half::Other);
        let cases: &[(&[Slice], &str)] = &[
            (&[slice("w", owner), slice("w", other)], "w (owner, other)"),
            (
                &[
                    slice("w", owner),
                    slice("w", other),
                    slice("a", owner),
                    slice("a", other),
                ],
                "w, a (owner, other)",
            ),
            (&[slice("r", other)], "r (other)"),
            (
                &[slice("w", owner), slice("a", owner), slice("a", other)],
                "w (owner), a (owner, other)",
            ),
        ];
        for (slices, expected) in cases {
            assert_eq!(slices_text(slices), *expected);
        }
    }

    #[test]
    fn deviations_are_stated_with_their_examples_and_count() {
        use crate::analyze::witness::{WitnessPath, pattern_set};
        let limits = crate::compile::Limits::default();
        let deviation = |set: &str, examples: &[&str], real_count, direction| Deviation {
            side: Side::New,
            rule: 0,
            comment: String::new(),
            direction,
            set: pattern_set(set, &limits).unwrap(),
            real_count,
            examples: examples
                .iter()
                .map(|path| WitnessPath {
                    path: path.as_bytes().to_vec(),
                    real: true,
                })
                .collect(),
        };
        let cases = [
            (
                deviation("/a/{b,c}", &["/a/b", "/a/c"], 2, Direction::Unmatched),
                "the comment says it denies `/a/b`, `/a/c`; its pattern does not match them \
(2 real paths of the region)",
            ),
            (
                deviation("/a/*", &["/a/b"], 1, Direction::Matched),
                "the comment says it does not deny `/a/b`, ...; its pattern matches them \
(1 real path of the region)",
            ),
        ];
        for (deviation, expected) in cases {
            assert_eq!(deviation_statement(&deviation), expected);
        }
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        let cases = [(0, "0"), (999, "999"), (1000, "1,000"), (18887, "18,887")];
        for (count, expected) in cases {
            assert_eq!(thousands(count), expected);
        }
    }

    #[test]
    fn permission_sets_are_checked() {
        assert_eq!(
            parse_perms("wk"),
            Ok(FilePerms::from_letters("wk").unwrap())
        );
        for bad in ["", "q", "w x"] {
            let error = parse_perms(bad).unwrap_err();
            assert!(error.contains("write letters of `rwalkmx`"), "{error}");
        }
    }

    #[test]
    fn a_profile_is_picked_by_name_or_alone() {
        let profile = |name: &str| {
            let mut profile = empty_profile();
            profile.name = name.to_string();
            profile
        };
        let two = || vec![profile("a"), profile("b")];
        assert_eq!(pick_profile("f", two(), Some("b")).unwrap().name, "b");
        assert_eq!(
            pick_profile("f", vec![profile("a")], Some("z"))
                .unwrap()
                .name,
            "a"
        );
        assert_eq!(
            pick_profile("f", two(), None).unwrap_err(),
            "`f` holds 2 profiles (a, b); choose one with `--profile NAME`"
        );
        assert_eq!(
            pick_profile("f", two(), Some("z")).unwrap_err(),
            "`f` holds 2 profiles (a, b); none is called `z`"
        );
        assert_eq!(
            pick_profile("f", vec![], None).unwrap_err(),
            "`f` holds no profile"
        );
        let mut parent = profile("p");
        parent.children = vec![profile("c")];
        let child = pick_profile("f", vec![parent, profile("b")], Some("p//c"));
        assert_eq!(child.unwrap().name, "c");
    }

    fn empty_profile() -> Profile {
        use crate::source::{FileId, Span};
        Profile {
            name: String::new(),
            origin: Origin {
                span: Span::new(FileId(0), 0, 0),
                include_chain: vec![],
            },
            attachment: None,
            flags: vec![],
            is_hat: false,
            file_rules: vec![],
            other_rules: vec![],
            children: vec![],
            unresolved_includes: vec![],
        }
    }
}
