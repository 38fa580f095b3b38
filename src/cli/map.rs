//! `aaprove map PROFILE [PROFILE2] (--root DIR | --inventory FILE)`: a
//! directory tree with what a profile decides for each entry, subtrees
//! with one decision folded into one line; with two profiles, both
//! decisions, highlighted where they differ.
//!
//! A live directory is walked without following symbolic links (a link is
//! an entry of its own, decided by its own path), with bounds on the depth
//! and the number of entries; reaching a bound is said on stderr and in the
//! output, never an error. Directories end in `/`, as the kernel presents
//! them to AppArmor.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use crate::analyze::diff::{Inventory, access};
use crate::analyze::map::{MapAccess, MapDecision, MapLine, MapTree, RenderStyle, render_text};
use crate::compile::{Half, Limits, PathPermissions, PermissionAutomaton};
use crate::model::FilePerms;

use super::diff::{LoadedProfile, load_profile, parse_perms, read_text_file};
use super::{FormatArg, GlobalArgs, LoadArgs, Status, after_output, color_choice, print_error};

#[derive(Debug, Args)]
#[command(
    after_help = "A directory ends in `/`; a symbolic link is an entry of its own, decided \
by its own path (the kernel decides an open by the path the link resolves to)."
)]
pub struct MapArgs {
    /// The profile: a file, or `docker-default` for the built-in one.
    #[arg(value_name = "PROFILE")]
    pub profile_file: String,
    /// A second profile: each entry shows both decisions, highlighted where they differ.
    #[arg(value_name = "PROFILE2")]
    pub second_file: Option<String>,
    /// Walk this live directory (symbolic links are not followed).
    #[arg(long, value_name = "DIR", required_unless_present = "inventory")]
    pub root: Option<PathBuf>,
    /// Take the entries from an inventory file: absolute paths, one a line,
    /// directories ending in `/`.
    #[arg(long, value_name = "FILE", conflicts_with = "root")]
    pub inventory: Option<PathBuf>,
    /// The permission letters decided: `allow` when the profile allows all
    /// of them, `deny` when a deny rule takes one, `none` otherwise.
    #[arg(long, value_name = "SET", default_value = "w")]
    pub perm: String,
    /// Which half of the permissions: files the task owns, or the others.
    #[arg(long, value_enum, default_value_t = HalfArg::Owner)]
    pub half: HalfArg,
    /// The profile to map when a file holds several (a child or hat as `parent//child`).
    #[arg(long = "profile", value_name = "NAME")]
    pub profile_name: Option<String>,
    /// Do not read directories deeper than this below DIR.
    #[arg(long, value_name = "N", default_value_t = 12)]
    pub max_depth: usize,
    /// Stop the walk after this many entries.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub max_entries: usize,
    #[command(flatten)]
    pub load: LoadArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum HalfArg {
    Owner,
    Other,
}

impl From<HalfArg> for Half {
    fn from(half: HalfArg) -> Half {
        match half {
            HalfArg::Owner => Half::Owner,
            HalfArg::Other => Half::Other,
        }
    }
}

pub fn run(args: &MapArgs, global: &GlobalArgs) -> Status {
    if global.format == FormatArg::Sarif {
        print_error("`--format sarif` is for diagnostics; `map` prints text or json");
        return Status::Failure;
    }
    match map(args) {
        Ok((text, json, notes)) => {
            let written = print_map(&text, &json, global);
            let status = after_output(Status::Clean, written);
            if global.quiet == 0 {
                let mut stderr = io::stderr().lock();
                for note in notes {
                    let _ = writeln!(stderr, "note: {note}");
                }
            }
            status
        }
        Err(message) => {
            print_error(&message);
            Status::Failure
        }
    }
}

/// One profile's decider: its automaton, the letters and the half.
struct Decider {
    automaton: PermissionAutomaton,
    perms: FilePerms,
    half: Half,
}

impl Decider {
    fn new(loaded: &LoadedProfile, perms: FilePerms, half: Half) -> Result<Decider, String> {
        let automaton = PermissionAutomaton::build(&loaded.profile, &Limits::default())
            .map_err(|error| format!("`{}` does not compile: {error}", loaded.input))?;
        Ok(Decider {
            automaton,
            perms,
            half,
        })
    }

    fn decide(&self, path: &str) -> MapAccess {
        decide_all(
            &self.automaton.lookup(path.as_bytes()),
            self.perms,
            self.half,
        )
    }
}

/// `allow` when every letter of `perms` is allowed, `deny` when a deny rule
/// takes one of them, `none` otherwise: the decision of `query --perm`.
pub fn decide_all(permissions: &PathPermissions, perms: FilePerms, half: Half) -> MapAccess {
    access(permissions.half(half), perms)
}

/// The rendered tree (with styles), its JSON form and notes for stderr.
fn map(args: &MapArgs) -> Result<(String, serde_json::Value, Vec<String>), String> {
    let perms = parse_perms(&args.perm)?;
    let options = args.load.resolve_options();
    let name = args.profile_name.as_deref();
    let first = load_profile(&args.profile_file, name, &options)?;
    let first = Decider::new(&first, perms, args.half.into())?;
    let second = match &args.second_file {
        Some(file) => Some(Decider::new(
            &load_profile(file, name, &options)?,
            perms,
            args.half.into(),
        )?),
        None => None,
    };

    let (paths, mut notes) = entries(args)?;
    let paths = paths.iter().map(String::as_str);
    let (text, mut json) = match &second {
        None => tree_output(MapTree::build(paths, |p| first.decide(p))),
        Some(second) => {
            let pair = |p: &str| (first.decide(p), second.decide(p));
            tree_output(MapTree::build(paths, pair))
        }
    }?;
    let half = match args.half {
        HalfArg::Owner => "owner",
        HalfArg::Other => "other",
    };
    json["perms"] = perms.letters().into();
    json["half"] = half.into();
    json["notes"] = notes.clone().into();
    let letters = perms.letters();
    notes.push(format!("decisions for `{letters}` in the {half} half"));
    Ok((text, json, notes))
}

fn tree_output<D: MapDecision>(
    tree: Result<MapTree<D>, crate::analyze::map::MapError>,
) -> Result<(String, serde_json::Value), String> {
    let tree = tree.map_err(|error| error.to_string())?;
    let text = render_text(&tree, RenderStyle { colour: true });
    let lines: Vec<serde_json::Value> = tree.lines().iter().map(json_line).collect();
    let json = serde_json::json!({"total": tree.total(), "lines": lines});
    Ok((text, json))
}

fn json_line<D: MapDecision>(line: &MapLine<D>) -> serde_json::Value {
    serde_json::json!({
        "path": line.path,
        "depth": line.depth,
        "label": line.label,
        "entries": line.entries,
        "folded": line.folded,
        "decision": line.decision.as_ref().map(MapDecision::label),
    })
}

/// The entries to decide, from the inventory or the walk, and notes about
/// the walk.
fn entries(args: &MapArgs) -> Result<(Vec<String>, Vec<String>), String> {
    if let Some(file) = &args.inventory {
        let mut inventory = Inventory::default();
        inventory.add_text(&read_text_file(file)?);
        let paths = inventory.paths().iter();
        let text = paths.map(|p| String::from_utf8_lossy(p).into_owned());
        return Ok((text.collect(), Vec::new()));
    }
    let root = args
        .root
        .as_ref()
        .expect("clap requires --root without --inventory");
    let limits = WalkLimits {
        max_depth: args.max_depth,
        max_entries: args.max_entries,
    };
    let walk = walk(root, limits)?;
    Ok((walk.paths, walk.notes))
}

/// Bounds of a directory walk.
#[derive(Clone, Copy, Debug)]
pub struct WalkLimits {
    /// Directories deeper than this below the root are listed, not read.
    pub max_depth: usize,
    pub max_entries: usize,
}

/// What a walk found.
#[derive(Debug, Default)]
pub struct Walk {
    /// Absolute paths, directories ending in `/`.
    pub paths: Vec<String>,
    /// What was left out and why.
    pub notes: Vec<String>,
}

/// Walks `root` depth first, without following symbolic links.
pub fn walk(root: &Path, limits: WalkLimits) -> Result<Walk, String> {
    let shown = root.display();
    let root = std::fs::canonicalize(root).map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    if !root.is_dir() {
        return Err(format!("`{shown}` is not a directory"));
    }
    let mut walk = Walk::default();
    let mut counts = Skipped::default();
    let mut stack = vec![(root, 0usize)];
    while let Some((dir, depth)) = stack.pop() {
        if walk.paths.len() >= limits.max_entries {
            counts.truncated = true;
            break;
        }
        walk.paths.push(dir_text(&dir));
        if depth >= limits.max_depth {
            counts.too_deep += 1;
            continue;
        }
        read_directory(&dir, depth, &mut stack, &mut walk, &mut counts, limits);
    }
    walk.notes = counts.notes(limits);
    Ok(walk)
}

/// Entries left out of a walk.
#[derive(Debug, Default)]
struct Skipped {
    too_deep: usize,
    unreadable: usize,
    not_utf8: usize,
    truncated: bool,
}

impl Skipped {
    fn notes(&self, limits: WalkLimits) -> Vec<String> {
        let mut notes = Vec::new();
        if self.truncated {
            let max = limits.max_entries;
            notes.push(format!("stopped after {max} entries (--max-entries {max})"));
        }
        if self.too_deep > 0 {
            let (count, max) = (self.too_deep, limits.max_depth);
            let directories = if count == 1 {
                "directory"
            } else {
                "directories"
            };
            notes.push(format!(
                "{count} {directories} at depth {max} not read (--max-depth {max})"
            ));
        }
        if self.unreadable > 0 {
            notes.push(format!("directories not readable: {}", self.unreadable));
        }
        if self.not_utf8 > 0 {
            notes.push(format!(
                "{} entries with names that are not UTF-8 were left out",
                self.not_utf8
            ));
        }
        notes
    }
}

fn dir_text(dir: &Path) -> String {
    let text = dir.to_string_lossy();
    if text.ends_with('/') {
        text.into_owned()
    } else {
        format!("{text}/")
    }
}

/// Lists `dir`: files and links become entries, directories go on the
/// stack (in reverse name order, so that they are read in name order).
fn read_directory(
    dir: &Path,
    depth: usize,
    stack: &mut Vec<(PathBuf, usize)>,
    walk: &mut Walk,
    counts: &mut Skipped,
    limits: WalkLimits,
) {
    let Ok(reader) = std::fs::read_dir(dir) else {
        counts.unreadable += 1;
        return;
    };
    let mut children: Vec<(PathBuf, bool)> = Vec::new();
    for entry in reader.flatten() {
        if entry.file_name().to_str().is_none() {
            counts.not_utf8 += 1;
            continue;
        }
        // `file_type` does not follow symbolic links.
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        children.push((entry.path(), is_dir));
    }
    children.sort();
    for (path, is_dir) in children.iter().rev().filter(|(_, is_dir)| *is_dir) {
        debug_assert!(*is_dir);
        stack.push((path.clone(), depth + 1));
    }
    for (path, _) in children.iter().filter(|(_, is_dir)| !is_dir) {
        if walk.paths.len() >= limits.max_entries {
            counts.truncated = true;
            return;
        }
        walk.paths.push(path.to_string_lossy().into_owned());
    }
}

fn print_map(text: &str, json: &serde_json::Value, global: &GlobalArgs) -> io::Result<()> {
    let stdout = io::stdout().lock();
    if global.format == FormatArg::Json {
        let mut out = stdout;
        serde_json::to_writer(&mut out, json)?;
        writeln!(out)?;
        return out.flush();
    }
    let mut out = anstream::AutoStream::new(stdout, color_choice(global.color));
    write!(out, "{text}")?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::HalfPermissions;

    #[test]
    fn several_letters_are_allowed_only_together() {
        let half = |allow: &str, deny: &str| HalfPermissions {
            allow: FilePerms::from_letters(allow).unwrap(),
            deny: FilePerms::from_letters(deny).unwrap(),
            ..HalfPermissions::default()
        };
        let cases = [
            (half("rw", ""), "w", MapAccess::Allow),
            (half("rw", ""), "wk", MapAccess::NoRule),
            (half("r", "k"), "wk", MapAccess::Deny),
            (half("rwk", ""), "wk", MapAccess::Allow),
            (half("", ""), "r", MapAccess::NoRule),
        ];
        for (owner, perms, expected) in cases {
            let permissions = PathPermissions {
                owner,
                other: HalfPermissions::default(),
            };
            let perms = FilePerms::from_letters(perms).unwrap();
            assert_eq!(decide_all(&permissions, perms, Half::Owner), expected);
            let other = decide_all(&permissions, perms, Half::Other);
            assert_eq!(other, MapAccess::NoRule);
        }
    }
}
