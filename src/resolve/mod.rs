//! TEMPORARY stand-in for the real `resolve` layer, written only so that the
//! `report` branch compiles and its CLI and lint tests run; drop it on merge.
//!
//! It has the exact public API of the real module but understands only a tiny
//! subset of the language: top-level `profile NAME {` / `/path {` blocks with
//! file rules `[audit] [deny|allow] [owner|other] PATTERN PERMS [-> TARGET],`
//! and `file,`. Anything else inside a block is an error, so a test that
//! relies on more than this fails loudly instead of passing by accident.

use std::path::PathBuf;

use crate::diagnostic::Diagnostic;
use crate::model::{
    Decision, ExecMode, ExecTransition, FilePerms, FileRule, Origin, OwnerQualifier, Profile,
    Qualifiers,
};
use crate::source::{FileId, SourceFile, SourceMap, Span};

pub struct ResolveOptions {
    pub include_dirs: Vec<PathBuf>,
    pub use_system_dir: bool,
    pub base_dir: Option<PathBuf>,
}

pub enum Input {
    Path(PathBuf),
    Stdin(String),
    Text { name: String, text: String },
}

pub struct Resolved {
    pub sources: SourceMap,
    pub profiles: Vec<Profile>,
    pub diagnostics: Vec<Diagnostic>,
    pub used_embedded_tunables: bool,
}

impl Resolved {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

pub fn load(input: Input, _options: &ResolveOptions) -> Resolved {
    let mut resolved = Resolved {
        sources: SourceMap::new(),
        profiles: Vec::new(),
        diagnostics: Vec::new(),
        used_embedded_tunables: false,
    };
    let (name, path, text) = match input {
        Input::Path(path) => match std::fs::read_to_string(&path) {
            Ok(text) => (path.display().to_string(), Some(path), text),
            Err(error) => {
                let message = format!("cannot read `{}`: {error}", path.display());
                resolved
                    .diagnostics
                    .push(Diagnostic::error("E001", "unreadable-file", message));
                return resolved;
            }
        },
        Input::Stdin(text) => ("<stdin>".to_string(), None, text),
        Input::Text { name, text } => (name, None, text),
    };
    let file = resolved.sources.add(SourceFile::new(name, path, text));
    let text = resolved.sources.get(file).text.clone();
    parse_file(file, &text, &mut resolved);
    resolved
}

fn parse_file(file: FileId, text: &str, resolved: &mut Resolved) {
    let mut current: Option<Profile> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let code = strip_comment(line);
        let start = offset + (code.len() - code.trim_start().len());
        let span = Span::new(file, start, offset + code.trim_end().len());
        offset += line.len();
        let code = code.trim();
        if code.is_empty() {
            continue;
        }
        if let Some(profile) = current.as_mut() {
            if code == "}" {
                resolved.profiles.extend(current.take());
            } else if let Some(rule) = parse_rule(code, span) {
                profile.file_rules.push(rule);
            } else {
                resolved.diagnostics.push(unsupported(span));
            }
        } else if let Some(name) = parse_header(code) {
            current = Some(new_profile(name, span));
        } else {
            resolved.diagnostics.push(unsupported(span));
        }
    }
}

fn unsupported(span: Span) -> Diagnostic {
    Diagnostic::error(
        "E000",
        "stand-in-unsupported",
        "the stand-in resolver cannot read this",
    )
    .with_primary(span, "not understood")
}

fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (index, &byte) in bytes.iter().enumerate() {
        let starts_word = index == 0 || bytes[index - 1].is_ascii_whitespace();
        if byte == b'#' && starts_word {
            return &line[..index];
        }
    }
    line
}

fn parse_header(code: &str) -> Option<String> {
    let head = code.strip_suffix('{')?.trim();
    let head = head.strip_prefix("profile ").unwrap_or(head);
    let name = head.split_whitespace().next()?;
    Some(name.to_string())
}

fn new_profile(name: String, span: Span) -> Profile {
    Profile {
        name,
        origin: Origin {
            span,
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

fn parse_rule(code: &str, span: Span) -> Option<FileRule> {
    let body = code.strip_suffix(',')?.trim();
    let mut words: Vec<&str> = body.split_whitespace().collect();
    let mut qualifiers = Qualifiers::default();
    while let Some(&word) = words.first() {
        match word {
            "audit" => qualifiers.audit = true,
            "deny" => qualifiers.decision = Decision::Deny,
            "allow" => qualifiers.decision = Decision::Allow,
            "owner" => qualifiers.owner = OwnerQualifier::Owner,
            "other" => qualifiers.owner = OwnerQualifier::Other,
            _ => break,
        }
        words.remove(0);
    }
    let (pattern, letters, target) = match words.as_slice() {
        ["file"] => ("/{**,}", "rwlkmix", None),
        [pattern, letters] => (*pattern, *letters, None),
        [pattern, letters, "->", target] => (*pattern, *letters, Some(*target)),
        _ => return None,
    };
    let (perms, exec) = parse_perms(letters, target)?;
    Some(FileRule {
        origin: Origin {
            span,
            include_chain: Vec::new(),
        },
        qualifiers,
        pattern: pattern.to_string(),
        perms,
        exec,
        link: None,
    })
}

/// Splits `rwPUx` into plain letters and an exec mode.
fn parse_perms(letters: &str, target: Option<&str>) -> Option<(FilePerms, Option<ExecMode>)> {
    let Some(x) = letters.find('x') else {
        return Some((FilePerms::from_letters(letters)?, None));
    };
    let mut plain = String::new();
    let mut mode = String::new();
    for letter in letters[..x].chars() {
        match letter {
            'r' | 'w' | 'a' | 'l' | 'k' | 'm' => plain.push(letter),
            _ => mode.push(letter),
        }
    }
    plain.push_str(&letters[x + 1..]);
    let perms = FilePerms::from_letters(&plain)?.union(FilePerms::EXEC);
    Some((perms, Some(parse_exec_mode(&mode, target)?)))
}

fn parse_exec_mode(mode: &str, target: Option<&str>) -> Option<ExecMode> {
    use ExecTransition::*;
    let (transition, fallback) = match mode.to_ascii_lowercase().as_str() {
        "" => (None, None),
        "i" => (Some(Inherit), None),
        "u" => (Some(Unconfined), None),
        "p" => (Some(Profile), None),
        "c" => (Some(Child), None),
        "pi" => (Some(Profile), Some(Inherit)),
        "ci" => (Some(Child), Some(Inherit)),
        "pu" => (Some(Profile), Some(Unconfined)),
        "cu" => (Some(Child), Some(Unconfined)),
        _ => return None,
    };
    Some(ExecMode {
        transition,
        scrub: mode.starts_with(|c: char| c.is_ascii_uppercase()),
        fallback,
        target: target.map(str::to_string),
    })
}
