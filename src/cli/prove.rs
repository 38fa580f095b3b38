//! `aaprove prove PROFILE --spec SPEC`: load the profile, the spec and its
//! baselines, decide every assertion with automata, print the proof.
//!
//! Exit codes: 0 every assertion proved; 1 an assertion is violated or
//! undecided (it depends on an include that could not be found), which is
//! "not proved" either way; 2 the spec, the profile or a baseline cannot be
//! read, resolved or compiled (rustc-style diagnostics point into the file).
//! `load` runs the same steps through [`prove_for_load`].

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::Args;

use crate::analyze::prove::{self, DecidingRule, Finding, Proof, ProveContext, Verdict, Witness};
use crate::analyze::spec::{self, Baseline, Claim, Spec};
use crate::analyze::witness::{Inventory, SetSize, display_path};
use crate::builtin;
use crate::compile::Limits;
use crate::diagnostic::Diagnostic;
use crate::model::{Decision, Profile};
use crate::report::{Place, json, text};
use crate::resolve::variables::SymbolTable;
use crate::resolve::{self, Input, ResolveOptions};
use crate::source::{SourceFile, SourceMap};

use super::{FormatArg, GlobalArgs, LoadArgs, Status, after_output, color_choice, print_error};

#[derive(Debug, Args)]
pub struct ProveArgs {
    /// The profile file holding the profile to prove.
    #[arg(value_name = "PROFILE")]
    pub profile: PathBuf,
    /// The spec: a TOML file of assertions (see the README).
    #[arg(long, value_name = "SPEC")]
    pub spec: PathBuf,
    /// The profile to prove when the file holds several (default: the
    /// spec's `profile`, else the file's only profile).
    #[arg(long = "profile", value_name = "NAME")]
    pub profile_name: Option<String>,
    /// More real paths to show as witnesses first, one per line
    /// (repeatable); directories end in `/`.
    #[arg(long, value_name = "FILE")]
    pub inventory: Vec<PathBuf>,
    #[command(flatten)]
    pub load: LoadArgs,
}

/// Everything read for one proof: the files for rendering and the values.
struct Inputs {
    /// The profile's files and the spec.
    sources: SourceMap,
    profile: Profile,
    spec: Spec,
    baselines: Vec<(Baseline, Profile)>,
    /// The files of each baseline, in the order of `baselines`.
    baseline_sources: Vec<SourceMap>,
    inventory: Inventory,
    /// The profile file's variables, for spec patterns.
    symbols: SymbolTable,
    /// Diagnostics of resolution that did not stop the proof, such as a
    /// missing include whose rules are taken as unknown.
    resolution: Vec<Diagnostic>,
}

pub fn run(args: &ProveArgs, global: &GlobalArgs) -> Status {
    prove_for_load(args, global).0
}

/// Proves and prints; returns the status and whether every assertion was
/// proved.
pub(super) fn prove_for_load(args: &ProveArgs, global: &GlobalArgs) -> (Status, bool) {
    if global.format == FormatArg::Sarif {
        print_error("`prove` prints text or JSON; SARIF is for `check`");
        return (Status::Failure, false);
    }
    let inputs = match read_inputs(args, global) {
        Ok(inputs) => inputs,
        Err(status) => return (status, false),
    };
    let expand = |pattern: &str| {
        let expanded = inputs.symbols.expand_pattern(pattern);
        expanded.map_err(|error| error.message())
    };
    let context = ProveContext {
        profile: &inputs.profile,
        baselines: &inputs.baselines,
        inventory: &inputs.inventory,
        expand: &expand,
        limits: &Limits::default(),
    };
    let proof = match prove::prove(&inputs.spec, &context) {
        Ok(proof) => proof,
        Err(diagnostics) => {
            print_diagnostics(&diagnostics, &inputs.sources, global);
            return (Status::Failure, false);
        }
    };
    let written = print_proof(&proof, &inputs, args, global);
    let proved = proof.verdict() == Verdict::Proved;
    let status = if proved {
        Status::Clean
    } else {
        Status::Findings
    };
    (after_output(status, written), proved)
}

fn read_inputs(args: &ProveArgs, global: &GlobalArgs) -> Result<Inputs, Status> {
    let options = args.load.resolve_options();
    let input = super::profile_input(&args.profile.to_string_lossy());
    let resolved = resolve::load(input, &options);
    let mut sources = resolved.sources;
    let spec_text = std::fs::read_to_string(&args.spec).map_err(|error| {
        print_error(&format!("cannot read `{}`: {error}", args.spec.display()));
        Status::Failure
    })?;
    let spec_name = args.spec.display().to_string();
    let spec_file = SourceFile::new(spec_name, Some(args.spec.clone()), spec_text);
    let spec_id = sources.add(spec_file);
    let spec = spec::parse_spec(spec_id, &sources.get(spec_id).text);
    let spec = spec.map_err(|diagnostics| fail(&diagnostics, &sources, global))?;
    let wanted = args.profile_name.as_deref().or(spec.profile.as_deref());
    let profile = choose_profile(
        resolved.profiles,
        wanted,
        &args.profile.display().to_string(),
    )
    .map_err(|message| fail_message(&message))?;
    let resolution = check_resolution(resolved.diagnostics, &profile, &sources, global)?;
    let spec_dir = args.spec.parent().unwrap_or(Path::new("")).to_path_buf();
    let (baselines, baseline_sources) = load_baselines(&spec, &spec_dir, &options, global)?;
    let inventory = read_inventory(&args.inventory).map_err(|message| fail_message(&message))?;
    Ok(Inputs {
        sources,
        profile,
        spec,
        baselines,
        baseline_sources,
        inventory,
        symbols: resolved.symbols,
        resolution,
    })
}

/// Stops on any resolution error, except a missing include when the
/// resolver recorded one in the profile's `unresolved_includes`: `prove`
/// then treats their rules as unknown, not absent. On a stop, every
/// diagnostic is printed; otherwise they are returned, to be shown with the
/// proof (in JSON, inside its document, so that stdout stays one document).
fn check_resolution(
    diagnostics: Vec<Diagnostic>,
    profile: &Profile,
    sources: &SourceMap,
    global: &GlobalArgs,
) -> Result<Vec<Diagnostic>, Status> {
    let tolerated = |diagnostic: &Diagnostic| {
        diagnostic.code == resolve::codes::INCLUDE_MISSING
            && !profile.unresolved_includes.is_empty()
    };
    let fatal = diagnostics.iter().any(|d| d.is_error() && !tolerated(d));
    if fatal {
        return Err(fail(&diagnostics, sources, global));
    }
    Ok(diagnostics)
}

/// The profile called `wanted`, or the file's only profile.
fn choose_profile(
    profiles: Vec<Profile>,
    wanted: Option<&str>,
    file: &str,
) -> Result<Profile, String> {
    let names: Vec<String> = profiles.iter().map(|p| format!("`{}`", p.name)).collect();
    match wanted {
        Some(name) => profiles
            .into_iter()
            .find(|profile| profile.name == name)
            .ok_or_else(|| {
                let known = if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                };
                format!("no profile `{name}` in `{file}` (it holds: {known})")
            }),
        None if profiles.len() == 1 => Ok(profiles.into_iter().next().expect("one profile")),
        None => Err(format!(
            "`{file}` holds {} profiles; name one with `--profile` or the spec's `profile`",
            profiles.len()
        )),
    }
}

/// The baselines with their profiles, and the files of each.
type LoadedBaselines = (Vec<(Baseline, Profile)>, Vec<SourceMap>);

/// Resolves each distinct baseline the spec names.
fn load_baselines(
    spec: &Spec,
    spec_dir: &Path,
    options: &ResolveOptions,
    global: &GlobalArgs,
) -> Result<LoadedBaselines, Status> {
    let mut baselines: Vec<(Baseline, Profile)> = Vec::new();
    let mut all_sources = Vec::new();
    for assertion in &spec.assertions {
        let baseline = match &assertion.claim {
            Claim::NoMoreThan { baseline, .. } | Claim::SameAs { baseline, .. } => baseline,
            _ => continue,
        };
        if baselines.iter().any(|(known, _)| known == baseline) {
            continue;
        }
        let (profile, sources) = load_baseline(baseline, spec_dir, options, global)?;
        baselines.push((baseline.clone(), profile));
        all_sources.push(sources);
    }
    Ok((baselines, all_sources))
}

fn load_baseline(
    baseline: &Baseline,
    spec_dir: &Path,
    options: &ResolveOptions,
    global: &GlobalArgs,
) -> Result<(Profile, SourceMap), Status> {
    let (input, wanted, shown) = match baseline {
        Baseline::DockerDefault => {
            let name = builtin::DOCKER_DEFAULT_NAME;
            let input = super::profile_input(name);
            (input, Some(name.to_string()), name.to_string())
        }
        Baseline::File { path, profile } => {
            let full = spec_dir.join(path);
            let shown = full.display().to_string();
            (Input::Path(full), profile.clone(), shown)
        }
    };
    log::info!("loading baseline {shown}");
    let resolved = resolve::load(input, options);
    let profile = choose_profile(resolved.profiles, wanted.as_deref(), &shown)
        .map_err(|message| fail_message(&format!("baseline: {message}")))?;
    let tolerated = check_resolution(resolved.diagnostics, &profile, &resolved.sources, global)?;
    // In JSON the proof names the includes a verdict depends on; only text
    // shows the baseline's own diagnostics.
    if global.format != FormatArg::Json {
        print_diagnostics(&tolerated, &resolved.sources, global);
    }
    Ok((profile, resolved.sources))
}

fn read_inventory(files: &[PathBuf]) -> Result<Inventory, String> {
    let mut inventory = Inventory::builtin();
    for file in files {
        let text = std::fs::read_to_string(file)
            .map_err(|error| format!("cannot read `{}`: {error}", file.display()))?;
        inventory.add_text(&text);
    }
    Ok(inventory)
}

fn fail(diagnostics: &[Diagnostic], sources: &SourceMap, global: &GlobalArgs) -> Status {
    print_diagnostics(diagnostics, sources, global);
    Status::Failure
}

fn fail_message(message: &str) -> Status {
    print_error(message);
    Status::Failure
}

fn print_diagnostics(diagnostics: &[Diagnostic], sources: &SourceMap, global: &GlobalArgs) {
    let stdout = io::stdout().lock();
    let mut out = anstream::AutoStream::new(stdout, color_choice(global.color));
    for diagnostic in diagnostics {
        let rendered = match global.format {
            FormatArg::Json => json::render(diagnostic, sources),
            _ => text::render(diagnostic, sources, true),
        };
        let _ = writeln!(out, "{rendered}");
    }
}

fn print_proof(
    proof: &Proof,
    inputs: &Inputs,
    args: &ProveArgs,
    global: &GlobalArgs,
) -> io::Result<()> {
    if global.format == FormatArg::Json {
        let value = proof_json(proof, inputs, args);
        let mut out = io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, &value)?;
        writeln!(out)?;
        return out.flush();
    }
    print_diagnostics(&inputs.resolution, &inputs.sources, global);
    let mut out = io::stdout().lock();
    write!(out, "{}", proof_text(proof, inputs, args))?;
    out.flush()
}

/// The proof as text: one block per assertion, a summary line last.
fn proof_text(proof: &Proof, inputs: &Inputs, args: &ProveArgs) -> String {
    let mut out = format!(
        "proving `{}` in {} against {}\n\n",
        inputs.profile.name,
        args.profile.display(),
        args.spec.display()
    );
    for outcome in &proof.assertions {
        let place = Place::of(outcome.span, &inputs.sources);
        out.push_str(&format!(
            "{}: {}\n  --> {}:{}:{}\n",
            verdict_word(outcome.verdict),
            outcome.name,
            place.file,
            place.start.line,
            place.start.column
        ));
        for finding in &outcome.findings {
            out.push_str(&finding_text(finding, inputs));
        }
        out.push('\n');
    }
    out.push_str(&summary_line(proof));
    out
}

fn verdict_word(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Proved => "proved",
        Verdict::Undecided => "undecided",
        Verdict::Violated => "violated",
    }
}

fn finding_text(finding: &Finding, inputs: &Inputs) -> String {
    let mut out = format!(
        "  `{}` {}: {}\n",
        finding.perm,
        finding.direction.describe(),
        size_text(finding)
    );
    if !finding.unknown_includes.is_empty() {
        out.push_str(&format!(
            "    undecided: these paths depend on the rules of {}, which could not be found\n",
            quoted_list(&finding.unknown_includes)
        ));
    }
    for witness in &finding.witnesses {
        out.push_str(&witness_text(witness, inputs));
    }
    let coverage = if finding.summary_complete {
        "covering all of them"
    } else {
        "covering part of them"
    };
    out.push_str(&format!("    as patterns, {coverage}:\n"));
    for pattern in &finding.summary {
        out.push_str(&format!("      {pattern}\n"));
    }
    out
}

fn size_text(finding: &Finding) -> String {
    let total = match finding.size {
        SetSize::Empty => "none".to_string(),
        SetSize::Finite(count) => format!("{count} in all"),
        SetSize::FiniteHuge => "finitely many (more than 2^128) in all".to_string(),
        SetSize::Infinite => "infinitely many in all".to_string(),
    };
    let real = match finding.real_count {
        1 => "1 real path".to_string(),
        count => format!("{count} real paths"),
    };
    format!("{real}, {total}")
}

fn witness_text(witness: &Witness, inputs: &Inputs) -> String {
    let origin = if witness.real {
        ""
    } else {
        " (not in the inventory)"
    };
    let mut out = format!("    {}{origin}\n", display_path(&witness.path));
    for rule in &witness.rules {
        out.push_str(&format!("        {}\n", rule_text(rule, inputs)));
    }
    out
}

/// `allowed by FILE:LINE:COL: `RULE``, or why nothing decides.
fn rule_text(rule: &DecidingRule, inputs: &Inputs) -> String {
    match rule {
        DecidingRule::Rule {
            side,
            decision,
            origin,
            ..
        } => {
            let sources = side_sources(*side, inputs);
            let verb = match decision {
                Decision::Deny => "denied",
                Decision::Allow | Decision::Prompt => "allowed",
            };
            let place = Place::of(origin.span, sources);
            let text = sources.text(origin.span).trim();
            format!(
                "{verb} by {}{}:{}:{}: `{text}`",
                side_prefix(*side),
                place.file,
                place.start.line,
                place.start.column
            )
        }
        DecidingRule::Implicit { side, pattern } => {
            format!(
                "allowed by {}the implicit rule `{pattern}`",
                side_prefix(*side)
            )
        }
        DecidingRule::NoAllowRule { side } => {
            format!("{}no rule allows it", side_prefix(*side))
        }
    }
}

fn side_prefix(side: prove::Side) -> &'static str {
    match side {
        prove::Side::Profile => "",
        prove::Side::Baseline(_) => "baseline: ",
    }
}

/// The source map a rule's span points into.
fn side_sources(side: prove::Side, inputs: &Inputs) -> &SourceMap {
    match side {
        prove::Side::Profile => &inputs.sources,
        prove::Side::Baseline(index) => &inputs.baseline_sources[index],
    }
}

fn side_name(side: prove::Side) -> &'static str {
    match side {
        prove::Side::Profile => "profile",
        prove::Side::Baseline(_) => "baseline",
    }
}

fn quoted_list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
    quoted.join(", ")
}

fn summary_line(proof: &Proof) -> String {
    let count = |verdict| {
        let all = proof.assertions.iter();
        all.filter(|outcome| outcome.verdict == verdict).count()
    };
    let total = proof.assertions.len();
    let (violated, undecided) = (count(Verdict::Violated), count(Verdict::Undecided));
    match (violated, undecided) {
        (0, 0) => format!("all {total} assertions proved\n"),
        _ => format!(
            "{violated} of {total} assertions violated, {undecided} undecided, {} proved\n",
            count(Verdict::Proved)
        ),
    }
}

fn proof_json(proof: &Proof, inputs: &Inputs, args: &ProveArgs) -> serde_json::Value {
    let diagnostics = inputs.resolution.iter();
    let diagnostics: Vec<_> = diagnostics
        .map(|d| json::value(d, &inputs.sources))
        .collect();
    let assertions: Vec<serde_json::Value> = proof
        .assertions
        .iter()
        .map(|outcome| {
            let place = Place::of(outcome.span, &inputs.sources);
            let findings = outcome.findings.iter();
            let findings: Vec<_> = findings.map(|f| finding_json(f, inputs)).collect();
            serde_json::json!({
                "name": outcome.name,
                "file": place.file,
                "line": place.start.line,
                "column": place.start.column,
                "verdict": outcome.verdict,
                "findings": findings,
            })
        })
        .collect();
    serde_json::json!({
        "profile": inputs.profile.name,
        "profile_file": args.profile.display().to_string(),
        "spec": args.spec.display().to_string(),
        "verdict": proof.verdict(),
        "assertions": assertions,
        "diagnostics": diagnostics,
    })
}

fn finding_json(finding: &Finding, inputs: &Inputs) -> serde_json::Value {
    let witnesses: Vec<serde_json::Value> = finding
        .witnesses
        .iter()
        .map(|witness| {
            let rules: Vec<serde_json::Value> = witness
                .rules
                .iter()
                .map(|rule| rule_json(rule, inputs))
                .collect();
            serde_json::json!({
                "path": display_path(&witness.path),
                "real": witness.real,
                "rules": rules,
            })
        })
        .collect();
    serde_json::json!({
        "perm": finding.perm.to_string(),
        "direction": finding.direction,
        "verdict": finding.verdict,
        "unknown_includes": finding.unknown_includes,
        "real_paths": finding.real_count,
        "size": size_json(finding.size),
        "witnesses": witnesses,
        "summary": finding.summary,
        "summary_complete": finding.summary_complete,
    })
}

/// `{"kind": "finite", "count": N}` and the like; a count above `u64::MAX`
/// is written as a string, since JSON numbers that large lose precision.
fn size_json(size: SetSize) -> serde_json::Value {
    let (kind, count) = match size {
        SetSize::Empty => ("empty", None),
        SetSize::Finite(count) => ("finite", Some(count)),
        SetSize::FiniteHuge => ("finite_huge", None),
        SetSize::Infinite => ("infinite", None),
    };
    let count = count.map(|count| match u64::try_from(count) {
        Ok(small) => serde_json::Value::from(small),
        Err(_) => serde_json::Value::from(count.to_string()),
    });
    match count {
        Some(count) => serde_json::json!({ "kind": kind, "count": count }),
        None => serde_json::json!({ "kind": kind }),
    }
}

fn rule_json(rule: &DecidingRule, inputs: &Inputs) -> serde_json::Value {
    match rule {
        DecidingRule::Rule {
            side,
            decision,
            origin,
            ..
        } => {
            let sources = side_sources(*side, inputs);
            let place = Place::of(origin.span, sources);
            let decision = match decision {
                Decision::Deny => "deny",
                Decision::Allow => "allow",
                Decision::Prompt => "prompt",
            };
            serde_json::json!({
                "side": side_name(*side),
                "decision": decision,
                "file": place.file,
                "line": place.start.line,
                "column": place.start.column,
                "text": sources.text(origin.span).trim(),
            })
        }
        DecidingRule::Implicit { side, pattern } => serde_json::json!({
            "side": side_name(*side), "decision": "allow", "implicit": pattern,
        }),
        DecidingRule::NoAllowRule { side } => serde_json::json!({
            "side": side_name(*side), "decision": "none",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_written_without_losing_precision() {
        let cases = [
            (SetSize::Empty, r#"{"kind":"empty"}"#),
            (SetSize::Finite(3), r#"{"count":3,"kind":"finite"}"#),
            (
                SetSize::Finite(u128::from(u64::MAX) + 1),
                r#"{"count":"18446744073709551616","kind":"finite"}"#,
            ),
            (SetSize::Infinite, r#"{"kind":"infinite"}"#),
        ];
        for (size, expected) in cases {
            assert_eq!(size_json(size).to_string(), expected);
        }
    }

    #[test]
    fn undecided_findings_name_the_missing_includes() {
        use crate::analyze::prove::{Direction, Finding, Witness};
        let set = crate::analyze::witness::pattern_set("/a", &Limits::default()).unwrap();
        let finding = Finding {
            perm: 'w',
            direction: Direction::AllowedButShouldNotBe,
            verdict: Verdict::Undecided,
            unknown_includes: vec!["local/app".into()],
            witnesses: vec![Witness {
                path: b"/a".to_vec(),
                real: false,
                rules: Vec::new(),
            }],
            real_count: 0,
            size: SetSize::Finite(1),
            summary: vec!["/a".into()],
            summary_complete: true,
            set,
        };
        let inputs = Inputs {
            sources: SourceMap::new(),
            profile: profile("p"),
            spec: Spec {
                profile: None,
                assertions: Vec::new(),
            },
            baselines: Vec::new(),
            baseline_sources: Vec::new(),
            inventory: Inventory::default(),
            symbols: SymbolTable::default(),
            resolution: Vec::new(),
        };
        let expected = "  `w` allowed but should not be: 0 real paths, 1 in all\n    \
            undecided: these paths depend on the rules of `local/app`, \
            which could not be found\n    \
            /a (not in the inventory)\n    as patterns, covering all of them:\n      /a\n";
        assert_eq!(finding_text(&finding, &inputs), expected);
    }

    fn profile(name: &str) -> Profile {
        Profile {
            name: name.into(),
            origin: crate::model::Origin {
                span: crate::source::Span::new(crate::source::FileId(0), 0, 0),
                include_chain: Vec::new(),
            },
            attachment: None,
            flags: Vec::new(),
            is_hat: false,
            file_rules: Vec::new(),
            other_rules: Vec::new(),
            children: Vec::new(),
            unresolved_includes: Vec::new(),
        }
    }

    #[test]
    fn a_profile_is_chosen_by_name_or_as_the_only_one() {
        let two = || vec![profile("a"), profile("b")];
        assert_eq!(choose_profile(two(), Some("b"), "f").unwrap().name, "b");
        assert!(
            choose_profile(two(), None, "f")
                .unwrap_err()
                .contains("holds 2 profiles")
        );
        let missing = choose_profile(two(), Some("c"), "f").unwrap_err();
        assert_eq!(missing, "no profile `c` in `f` (it holds: `a`, `b`)");
        assert_eq!(
            choose_profile(vec![profile("a")], None, "f").unwrap().name,
            "a"
        );
    }
}
