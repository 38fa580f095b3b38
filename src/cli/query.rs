//! `aaprove query PROFILE [--profile NAME] [--perm PERMS] PATH... | --paths
//! FILE`: what one profile decides for each path, as a table or one JSON
//! object per line. Also the profile loading and the permission-set output
//! that `explain` shares.

use std::cell::RefCell;
use std::ffi::OsString;
use std::io::{self, BufRead, Read, Write};
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use crate::analyze::query::{self, PathAnswer, PermissionDecision, Query};
use crate::compile::hash::FastMap;
use crate::compile::{HalfPermissions, Limits, PathPermissions, PermissionAutomaton};
use crate::diagnostic::Diagnostic;
use crate::model::{FilePerms, Profile};
use crate::report::text;
use crate::resolve::{self, Resolved};

use super::{FormatArg, GlobalArgs, LoadArgs, Status, after_output, print_error};

/// A line of `--paths` longer than this is refused: the kernel's paths are
/// at most 4096 bytes.
const MAX_PATH_LINE: usize = 64 * 1024;

#[derive(Debug, Args)]
#[command(after_help = PATHS_HELP)]
pub struct QueryArgs {
    /// Profile file; `docker-default` is the built-in profile (write
    /// `./docker-default` for a file of that name).
    #[arg(value_name = "PROFILE")]
    pub profile: OsString,
    /// Paths to look up, exactly as the kernel presents them.
    #[arg(value_name = "PATH", required_unless_present = "paths")]
    pub path: Vec<OsString>,
    /// Read the paths from FILE, one a line (`-`: standard input).
    #[arg(long, value_name = "FILE", conflicts_with = "path")]
    pub paths: Option<PathBuf>,
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub load: LoadArgs,
}

/// What `query` and `explain` print after their options.
pub(super) const PATHS_HELP: &str = "\
Paths are matched as the kernel presents them, without normalisation: a \
directory ends in `/`, and `//`, `/./` or `/../` are matched as written (the \
kernel never presents them). A --paths file holds one path a line; only the \
line break is removed, and empty lines are skipped. Children and hats are \
named `parent//child`.

Decisions (with --perm): `allow` when every permission asked is allowed, \
else `deny` when one of them is explicitly denied by a deny rule, else \
`none` (no rule allows it).

JSON: every key of a half is always present; a set of permissions is a string of \
letters in `rwalkmx` order, `\"\"` when empty; `exec` is the exec mode \
(`ix`, `Px`, `Px -> target`, ...) or `\"\"` when `x` is not allowed.";

/// Which profile, and which permissions, a command is about.
#[derive(Debug, Args)]
pub struct SelectArgs {
    /// The profile of a file with several; `parent//child` for children and
    /// hats.
    #[arg(long = "profile", value_name = "NAME")]
    pub profile_name: Option<String>,
    /// Decide these permissions (letters of `rwalkmx`) per half: allow,
    /// deny or none.
    #[arg(long, value_name = "PERMS", value_parser = parse_perms)]
    pub perm: Option<FilePerms>,
}

/// Parses `--perm` letters.
fn parse_perms(text: &str) -> Result<FilePerms, String> {
    match FilePerms::from_letters(text) {
        Some(perms) if !perms.is_empty() => Ok(perms),
        _ => Err(format!(
            "`{text}` is not a set of permission letters; use letters of `rwalkmx`"
        )),
    }
}

/// A profile loaded and compiled, with the files its rules came from.
pub(super) struct Loaded {
    pub resolved: Resolved,
    /// The name the profile was selected by (`parent//child` for a child).
    pub name: String,
    pub profile: Profile,
    pub automaton: PermissionAutomaton,
}

/// Loads the file (or the built-in profile) named `name`, selects one
/// profile and compiles it; on failure, prints why and returns `None`.
pub(super) fn load(
    name: &OsString,
    select: &SelectArgs,
    load: &LoadArgs,
    global: &GlobalArgs,
) -> Option<Loaded> {
    let input = super::profile_input(&name.to_string_lossy());
    let resolved = resolve::load(input, &load.resolve_options());
    if resolved.has_errors() {
        print_diagnostics(&resolved, global);
        print_error("the profile has errors; `aaprove check` shows them all");
        return None;
    }
    let profile = match query::select_profile(&resolved.profiles, select.profile_name.as_deref()) {
        Ok(profile) => profile.clone(),
        Err(message) => {
            print_error(&message);
            return None;
        }
    };
    let name = select.profile_name.clone().unwrap_or(profile.name.clone());
    let started = std::time::Instant::now();
    let automaton = match PermissionAutomaton::build(&profile, &Limits::default()) {
        Ok(automaton) => automaton,
        Err(error) => {
            print_error(&format!("cannot compile profile `{name}`: {error}"));
            return None;
        }
    };
    log::info!(
        "compiled profile {name}: {} file rules, {} DFA states in {:.1?}",
        profile.file_rules.len(),
        automaton.state_count(),
        started.elapsed()
    );
    Some(Loaded {
        resolved,
        name,
        profile,
        automaton,
    })
}

/// Prints the error diagnostics of a load on stderr.
fn print_diagnostics(resolved: &Resolved, global: &GlobalArgs) {
    let mut stderr = io::stderr().lock();
    let errors = resolved.diagnostics.iter().filter(|d| d.is_error());
    for diagnostic in errors.take(20) {
        let rendered = render_diagnostic(diagnostic, resolved, global);
        let _ = writeln!(stderr, "{rendered}");
    }
}

fn render_diagnostic(diagnostic: &Diagnostic, resolved: &Resolved, global: &GlobalArgs) -> String {
    text::render(
        diagnostic,
        &resolved.sources,
        global.color == super::ColorArg::Always,
    )
}

/// True (after printing why not) when the format is one these commands
/// print.
pub(super) fn text_or_json(global: &GlobalArgs, command: &str) -> bool {
    if global.format == FormatArg::Sarif {
        print_error(&format!(
            "`--format sarif` is for diagnostics; `{command}` prints text or json"
        ));
        return false;
    }
    true
}

pub fn run(args: &QueryArgs, global: &GlobalArgs) -> Status {
    if !text_or_json(global, "query") {
        return Status::Failure;
    }
    let Some(loaded) = load(&args.profile, &args.select, &args.load, global) else {
        return Status::Failure;
    };
    let query = Query::new(&loaded.automaton);
    let mut out = io::BufWriter::new(io::stdout().lock());
    let printer = Printer {
        query: &query,
        automaton: &loaded.automaton,
        perm: args.select.perm,
        format: global.format,
        columns: RefCell::default(),
    };
    let written = match &args.paths {
        Some(file) => printer.print_file(&mut out, file),
        None => printer.print_args(&mut out, &args.path),
    };
    match written {
        Ok(status) => after_output(status, out.flush()),
        Err(error) => after_output(Status::Clean, Err(error)),
    }
}

/// Prints the answer for each path as it is read.
struct Printer<'a> {
    query: &'a Query<'a>,
    automaton: &'a PermissionAutomaton,
    perm: Option<FilePerms>,
    format: FormatArg,
    /// The text columns before the path, by decision: a profile has few
    /// distinct decisions, and a paths file may hold many paths.
    columns: RefCell<FastMap<PathPermissions, String>>,
}

impl Printer<'_> {
    fn print_args(&self, out: &mut impl Write, paths: &[OsString]) -> io::Result<Status> {
        self.header(out)?;
        for path in paths {
            self.answer(out, path.as_encoded_bytes())?;
        }
        Ok(Status::Clean)
    }

    /// Paths from a file or standard input, one a line; empty lines are
    /// skipped. A problem with a line stops the run with exit code 2.
    fn print_file(&self, out: &mut impl Write, file: &PathBuf) -> io::Result<Status> {
        let reader: Box<dyn Read> = if file.as_os_str() == "-" {
            Box::new(io::stdin().lock())
        } else {
            match std::fs::File::open(file) {
                Ok(opened) => Box::new(opened),
                Err(error) => {
                    print_error(&format!("cannot read `{}`: {error}", file.display()));
                    return Ok(Status::Failure);
                }
            }
        };
        self.header(out)?;
        let mut lines = io::BufReader::new(reader);
        let mut line = Vec::new();
        for number in 1.. {
            line.clear();
            let read = (&mut lines)
                .take(MAX_PATH_LINE as u64 + 1)
                .read_until(b'\n', &mut line);
            match read {
                Ok(0) => break,
                Ok(_) => {}
                Err(error) => {
                    print_error(&format!("cannot read `{}`: {error}", file.display()));
                    return Ok(Status::Failure);
                }
            }
            let path = line.strip_suffix(b"\n").unwrap_or(&line);
            if let Err(message) = check_path_line(path, line.len()) {
                print_error(&format!("{}:{number}: {message}", file.display()));
                return Ok(Status::Failure);
            }
            if !path.is_empty() {
                self.answer(out, path)?;
            }
        }
        Ok(Status::Clean)
    }

    fn header(&self, out: &mut impl Write) -> io::Result<()> {
        if self.format == FormatArg::Json {
            return Ok(());
        }
        match self.perm {
            Some(_) => writeln!(out, "{:<6} {:<6} path", "owner", "other"),
            None => {
                writeln!(out, "{:<23}  other", "owner")?;
                writeln!(
                    out,
                    "{0:<7} {1:<7} {2:<7}  {0:<7} {1:<7} {2:<7}  path",
                    "allow", "exec", "deny"
                )
            }
        }
    }

    fn answer(&self, out: &mut impl Write, path: &[u8]) -> io::Result<()> {
        let answer = self.query.answer(path);
        match self.format {
            FormatArg::Json => {
                let line = AnswerJson::of(&answer, self.automaton, self.perm);
                writeln!(out, "{}", to_json(&line))
            }
            _ => {
                let mut columns = self.columns.borrow_mut();
                let before = columns
                    .entry(answer.permissions)
                    .or_insert_with(|| self.text_columns(&answer));
                out.write_all(before.as_bytes())?;
                match std::str::from_utf8(&answer.path) {
                    Ok(path) => out.write_all(path.as_bytes())?,
                    Err(_) => out.write_all(String::from_utf8_lossy(&answer.path).as_bytes())?,
                }
                out.write_all(b"\n")
            }
        }
    }

    /// The text row of `answer` up to its path.
    fn text_columns(&self, answer: &PathAnswer) -> String {
        if let Some(perm) = self.perm {
            let [owner, other] = answer.decisions(perm);
            return format!("{:<6} {:<6} ", owner.as_str(), other.as_str());
        }
        let half = |half: &HalfPermissions| {
            let exec = query::exec_text(self.automaton, half);
            let exec = if exec.is_empty() { "-".into() } else { exec };
            format!(
                "{} {exec:<7} {}",
                positional(half.allow),
                positional(half.deny)
            )
        };
        let permissions = &answer.permissions;
        format!(
            "{}  {}  ",
            half(&permissions.owner),
            half(&permissions.other)
        )
    }
}

/// Why a line of a paths file cannot be a path; `length` counts the line
/// with its line break.
fn check_path_line(path: &[u8], length: usize) -> Result<(), String> {
    if length > MAX_PATH_LINE {
        return Err(format!(
            "line longer than the limit of {MAX_PATH_LINE} bytes"
        ));
    }
    if path.contains(&0) {
        return Err("a path cannot contain a NUL byte".to_string());
    }
    Ok(())
}

/// Letters in `rwalkmx` positions, `-` where a letter does not hold.
pub(super) fn positional(perms: FilePerms) -> String {
    FilePerms::LETTERS
        .iter()
        .map(|&(letter, bit)| if perms.contains(bit) { letter } else { '-' })
        .collect()
}

/// One half as JSON: every key always present; a set of letters is a
/// string in `rwalkmx` order, `""` when empty; `exec` is `""` when `x` is
/// not allowed.
#[derive(Serialize)]
pub(super) struct HalfJson {
    allow: String,
    deny: String,
    audit: String,
    quiet: String,
    exec: String,
}

impl HalfJson {
    fn of(half: &HalfPermissions, automaton: &PermissionAutomaton) -> HalfJson {
        HalfJson {
            allow: half.allow.letters(),
            deny: half.deny.letters(),
            audit: half.audit.letters(),
            quiet: half.quiet.letters(),
            exec: query::exec_text(automaton, half),
        }
    }
}

/// The `decision` object: one word per half.
#[derive(Serialize)]
pub(super) struct DecisionsJson {
    owner: PermissionDecision,
    other: PermissionDecision,
}

/// One line of `query --format json`: `path`, `owner`, `other` and, with
/// `--perm`, `decision`.
#[derive(Serialize)]
pub(super) struct AnswerJson {
    pub path: String,
    pub owner: HalfJson,
    pub other: HalfJson,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<DecisionsJson>,
}

impl AnswerJson {
    // FIXME: a path that is not UTF-8 is printed with U+FFFD in place of
    // its invalid bytes (here and in the table), so such a path cannot be
    // read back from the output exactly.
    pub fn of(
        answer: &PathAnswer,
        automaton: &PermissionAutomaton,
        perm: Option<FilePerms>,
    ) -> AnswerJson {
        AnswerJson {
            path: String::from_utf8_lossy(&answer.path).into_owned(),
            owner: HalfJson::of(&answer.permissions.owner, automaton),
            other: HalfJson::of(&answer.permissions.other, automaton),
            decision: perm.map(|perm| {
                let [owner, other] = answer.decisions(perm);
                DecisionsJson { owner, other }
            }),
        }
    }
}

/// Serialises a value made of strings, numbers and lists.
pub(super) fn to_json(value: &impl Serialize) -> String {
    // Serialising these values cannot fail: no maps with non-string keys.
    serde_json::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_lines_have_limits() {
        let cases: [(&[u8], usize, bool); 4] = [
            (b"/proc/", 7, true),
            (b"", 1, true),
            (b"/a\0b", 5, false),
            (b"/x", MAX_PATH_LINE + 1, false),
        ];
        for (path, length, ok) in cases {
            assert_eq!(check_path_line(path, length).is_ok(), ok, "{path:?}");
        }
    }

    #[test]
    fn perms_parse_letters_only() {
        let cases = [
            ("w", Some("w")),
            ("xwr", Some("rwx")),
            ("", None),
            ("ix", None),
        ];
        for (text, expected) in cases {
            let got = parse_perms(text).ok().map(FilePerms::letters);
            assert_eq!(got.as_deref(), expected, "{text}");
        }
    }

    #[test]
    fn positional_letters_keep_their_place() {
        let cases = [("", "-------"), ("rwalkmx", "rwalkmx"), ("rkx", "r---k-x")];
        for (letters, expected) in cases {
            let perms = FilePerms::from_letters(letters).unwrap();
            assert_eq!(positional(perms), expected);
        }
    }
}
