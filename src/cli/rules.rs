//! `aaprove rules` (the list of lints) and `aaprove rule CODE|NAME` (one
//! lint's documentation), as `ruff rule` does.

use std::io::{self, Write};

use serde::Serialize;

use crate::diagnostic::Severity;
use crate::lint::{self, Lint};

use super::{FormatArg, GlobalArgs, Status, after_output, print_error};

/// A lint as `--format json` lists it.
#[derive(Serialize)]
struct JsonLint<'a> {
    code: &'a str,
    name: &'a str,
    severity: Severity,
    summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    doc: Option<String>,
}

impl<'a> JsonLint<'a> {
    fn of(lint: &'a Lint, with_doc: bool) -> JsonLint<'a> {
        JsonLint {
            code: lint.code,
            name: lint.name,
            severity: lint.severity,
            summary: lint.summary(),
            doc: with_doc.then(|| lint.doc()),
        }
    }
}

pub fn list(global: &GlobalArgs) -> Status {
    if global.format == FormatArg::Sarif {
        print_error("`--format sarif` is for diagnostics; `rules` prints text or json");
        return Status::Failure;
    }
    let written = write_list(&mut io::stdout().lock(), global.format);
    after_output(Status::Clean, written)
}

/// The list: one lint a line, `CODE  NAME  SEVERITY  SUMMARY` with the name
/// column padded, or one JSON object a line.
pub fn write_list(out: &mut impl Write, format: FormatArg) -> io::Result<()> {
    let name_width = lint::all()
        .iter()
        .map(|lint| lint.name.len())
        .max()
        .unwrap_or(0);
    for lint in lint::all() {
        if format == FormatArg::Json {
            writeln!(out, "{}", to_json(&JsonLint::of(lint, false)))?;
        } else {
            let severity = lint.severity.as_str();
            let name = lint.name;
            let summary = lint.summary();
            writeln!(
                out,
                "{}  {name:name_width$}  {severity:7}  {summary}",
                lint.code
            )?;
        }
    }
    out.flush()
}

pub fn show(key: &str, global: &GlobalArgs) -> Status {
    if global.format == FormatArg::Sarif {
        print_error("`--format sarif` is for diagnostics; `rule` prints text or json");
        return Status::Failure;
    }
    let Some(lint) = lint::find(key) else {
        print_error(&format!(
            "no lint has the code or name `{key}`; `aaprove rules` lists them"
        ));
        return Status::Failure;
    };
    let written = write_doc(&mut io::stdout().lock(), lint, global.format);
    after_output(Status::Clean, written)
}

/// One lint's documentation, headed by its code, name and severity.
pub fn write_doc(out: &mut impl Write, lint: &Lint, format: FormatArg) -> io::Result<()> {
    if format == FormatArg::Json {
        writeln!(out, "{}", to_json(&JsonLint::of(lint, true)))?;
    } else {
        let severity = lint.severity.as_str();
        writeln!(out, "# {} ({})\n", lint.name, lint.code)?;
        writeln!(out, "Default severity: {severity}\n")?;
        write!(out, "{}", lint.doc())?;
    }
    out.flush()
}

fn to_json(lint: &JsonLint) -> String {
    // Serializing a struct of strings cannot fail.
    serde_json::to_string(lint).unwrap_or_default()
}
