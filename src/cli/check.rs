//! `aaprove check FILE... | -`: resolve each input, lint its profiles,
//! apply suppressions, and print every diagnostic.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use clap::Args;

use crate::builtin;
use crate::compile::Limits;
use crate::diagnostic::{Diagnostic, Severity};
use crate::lint;
use crate::report::{Batch, Format, json, sarif, text};
use crate::resolve::{self, Input, ResolveOptions};
use crate::source::SourceMap;

use super::{GlobalArgs, LoadArgs, Status, after_output, color_choice, print_error};

/// Standard input larger than this is refused rather than read.
const MAX_STDIN_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Profile files to check; `-` reads one profile from standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Fail (exit code 1) on warnings too, not only on errors.
    #[arg(long)]
    pub deny_warnings: bool,
    #[command(flatten)]
    pub load: LoadArgs,
}

/// One input after resolution, lints and suppressions.
struct Checked {
    name: String,
    sources: SourceMap,
    diagnostics: Vec<Diagnostic>,
    used_embedded_tunables: bool,
}

pub fn run(args: &CheckArgs, global: &GlobalArgs) -> Status {
    let stdin_count = args.files.iter().filter(|file| is_stdin(file)).count();
    if stdin_count > 1 {
        print_error("`-` (standard input) can be given only once");
        return Status::Failure;
    }

    let options = args.load.resolve_options();
    let mut status = Status::Clean;
    let mut checked = Vec::new();
    // Abstractions repeat the same patterns in every profile of a run.
    let patterns = Rc::new(lint::PatternSets::new(Limits::default()));
    for file in &args.files {
        match read_input(file) {
            Ok(input) => {
                let name = display_name(file);
                checked.push(check_input(name, input, &options, &patterns));
            }
            Err(message) => {
                print_error(&message);
                status = Status::Failure;
            }
        }
    }

    status = status.max(verdict(&checked, args.deny_warnings));
    let written = print_all(&checked, global);
    let status = after_output(status, written);
    let checked_any = !checked.is_empty();
    if global.format == super::FormatArg::Text && global.quiet == 0 && checked_any {
        print_summary(&checked);
    }
    status
}

fn is_stdin(file: &Path) -> bool {
    file.as_os_str() == "-"
}

fn display_name(file: &Path) -> String {
    if is_stdin(file) {
        "<stdin>".to_string()
    } else {
        file.display().to_string()
    }
}

/// The input for `file`, or a message saying why it cannot be read. Files
/// are only checked to be readable here; `resolve` reads them.
fn read_input(file: &Path) -> Result<Input, String> {
    if is_stdin(file) {
        return read_stdin().map(Input::Stdin);
    }
    if let Some(name) = file
        .to_str()
        .filter(|name| builtin::profile_text(name).is_some())
    {
        return Ok(super::profile_input(name));
    }
    let shown = file.display();
    match std::fs::metadata(file) {
        Ok(metadata) if metadata.is_dir() => Err(format!("`{shown}` is a directory")),
        Ok(_) => match std::fs::File::open(file) {
            Ok(_) => Ok(Input::Path(file.to_path_buf())),
            Err(error) => Err(format!("cannot read `{shown}`: {error}")),
        },
        Err(error) => Err(format!("cannot read `{shown}`: {error}")),
    }
}

fn read_stdin() -> Result<String, String> {
    let mut bytes = Vec::new();
    let mut limited = io::stdin().lock().take(MAX_STDIN_BYTES + 1);
    if let Err(error) = limited.read_to_end(&mut bytes) {
        return Err(format!("cannot read standard input: {error}"));
    }
    if bytes.len() as u64 > MAX_STDIN_BYTES {
        return Err(format!(
            "standard input is larger than the limit of {MAX_STDIN_BYTES} bytes"
        ));
    }
    String::from_utf8(bytes).map_err(|error| {
        let at = error.utf8_error().valid_up_to();
        format!("standard input is not UTF-8 text (invalid byte at offset {at})")
    })
}

fn check_input(
    name: String,
    input: Input,
    options: &ResolveOptions,
    patterns: &Rc<lint::PatternSets>,
) -> Checked {
    log::info!("checking {name}");
    let resolved = resolve::load(input, options);
    let complete = !resolved.has_errors();
    let mut diagnostics = resolved.diagnostics;
    for profile in &resolved.profiles {
        diagnostics.extend(lint::run_all_sharing(profile, &resolved.sources, patterns));
    }

    let mut diagnostics = lint::apply_suppressions(diagnostics, &resolved.sources, complete);
    sort_by_place(&mut diagnostics);
    if resolved.used_embedded_tunables {
        log::info!("{name}: used the embedded default tunables");
    }
    Checked {
        name,
        sources: resolved.sources,
        diagnostics,
        used_embedded_tunables: resolved.used_embedded_tunables,
    }
}

/// Diagnostics without a place first, then by file and offset; the sort is
/// stable, so diagnostics at one place keep the order they were found in.
fn sort_by_place(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by_key(|diagnostic| {
        let span = diagnostic.primary.as_ref().map(|label| label.span);
        span.map(|span| (span.file, span.start, span.end))
    });
}

fn verdict(checked: &[Checked], deny_warnings: bool) -> Status {
    let all = checked.iter().flat_map(|input| &input.diagnostics);
    let fails = |diagnostic: &Diagnostic| match diagnostic.severity {
        Severity::Error => true,
        Severity::Warning => deny_warnings,
        Severity::Note => false,
    };
    if all.clone().any(fails) {
        Status::Findings
    } else {
        Status::Clean
    }
}

fn print_all(checked: &[Checked], global: &GlobalArgs) -> io::Result<()> {
    match global.format.into() {
        Format::Text => {
            let stdout = io::stdout().lock();
            let mut out = anstream::AutoStream::new(stdout, color_choice(global.color));
            for input in checked {
                for diagnostic in &input.diagnostics {
                    let rendered = text::render(diagnostic, &input.sources, true);
                    writeln!(out, "{rendered}")?;
                }
            }
            out.flush()
        }
        Format::Json => {
            let mut out = io::stdout().lock();
            for input in checked {
                for diagnostic in &input.diagnostics {
                    writeln!(out, "{}", json::render(diagnostic, &input.sources))?;
                }
            }
            out.flush()
        }
        Format::Sarif => {
            let batches: Vec<Batch> = checked.iter().map(Checked::batch).collect();
            let log = sarif::render(&batches);
            let mut out = io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, &log)?;
            writeln!(out)?;
            out.flush()
        }
    }
}

impl Checked {
    fn batch(&self) -> Batch<'_> {
        Batch {
            sources: &self.sources,
            diagnostics: &self.diagnostics,
        }
    }
}

/// `note:` lines about the run, then `2 errors, 1 warning in 1 file`.
fn print_summary(checked: &[Checked]) {
    let mut stderr = io::stderr().lock();
    for line in summary_lines(checked) {
        let _ = writeln!(stderr, "{line}");
    }
}

fn summary_lines(checked: &[Checked]) -> Vec<String> {
    let tunables = checked.iter().filter(|input| input.used_embedded_tunables);
    let mut lines: Vec<String> = tunables
        .map(|input| {
            let note = "used aaprove's embedded default tunables, \
                        not tunables from an include directory";
            format!("note: {}: {note}", input.name)
        })
        .collect();
    lines.push(summary(checked));
    lines
}

fn summary(checked: &[Checked]) -> String {
    let all = || checked.iter().flat_map(|input| &input.diagnostics);
    let count = |severity| all().filter(|d| d.severity == severity).count();
    let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
    let files = plural(checked.len(), "file");
    match (errors, warnings) {
        (0, 0) => format!("no problems found in {files}"),
        (0, _) => format!("{} in {files}", plural(warnings, "warning")),
        (_, 0) => format!("{} in {files}", plural(errors, "error")),
        _ => format!(
            "{}, {} in {files}",
            plural(errors, "error"),
            plural(warnings, "warning")
        ),
    }
}

fn plural(count: usize, word: &str) -> String {
    if count == 1 {
        format!("1 {word}")
    } else {
        format!("{count} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(name: &str, severities: &[Severity], tunables: bool) -> Checked {
        let diagnostic = |severity| Diagnostic::new(severity, "L001", "x", "x");
        Checked {
            name: name.into(),
            sources: SourceMap::new(),
            diagnostics: severities.iter().map(|&s| diagnostic(s)).collect(),
            used_embedded_tunables: tunables,
        }
    }

    #[test]
    fn summary_counts_errors_and_warnings() {
        use Severity::*;
        let cases: [(&[Severity], &str); 5] = [
            (&[], "no problems found in 1 file"),
            (&[Note], "no problems found in 1 file"),
            (&[Warning], "1 warning in 1 file"),
            (&[Error, Error], "2 errors in 1 file"),
            (&[Error, Warning, Warning], "1 error, 2 warnings in 1 file"),
        ];
        for (severities, expected) in cases {
            assert_eq!(
                summary_lines(&[checked("a", severities, false)]),
                [expected]
            );
        }
    }

    #[test]
    fn summary_notes_embedded_tunables_per_file() {
        let inputs = [checked("a", &[], true), checked("b", &[], false)];
        let lines = summary_lines(&inputs);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].starts_with("note: a: used aaprove's embedded default tunables"));
        assert_eq!(lines[1], "no problems found in 2 files");
    }

    #[test]
    fn verdict_depends_on_deny_warnings() {
        let warning = [checked("a", &[Severity::Warning], false)];
        assert_eq!(verdict(&warning, false), Status::Clean);
        assert_eq!(verdict(&warning, true), Status::Findings);
    }
}
