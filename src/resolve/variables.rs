//! The symbol table of set variables (`@{NAME}`) and boolean variables
//! (`$NAME`), and the expansion of variables inside patterns.
//!
//! As in `apparmor_parser`, a set variable's values form a sorted set; a
//! pattern referencing a variable with several values gets them as an
//! alternation `{a,b}` in sorted order, and one value is inserted as is.
//! When the text before the reference ends in `/` (and is not only
//! slashes), leading slashes of the values are dropped; when the text after
//! it starts with `/`, trailing slashes are dropped. Expansion is bounded:
//! a variable referencing itself is an error, and an expanded set larger
//! than [`MAX_VALUES`] is refused.

use std::collections::{BTreeMap, BTreeSet};

use crate::source::Span;

/// The largest set a variable may expand to.
pub const MAX_VALUES: usize = 10_000;

/// A set variable: its raw values (which may reference other variables).
#[derive(Clone, Debug)]
pub struct SetVariable {
    pub values: Vec<String>,
    pub span: Span,
}

/// Why a variable or pattern could not be expanded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExpandError {
    Undefined(String),
    Recursive(String),
    TooLarge(String),
    /// `@{` without a matching `}` or with a bad name.
    BadReference(String),
}

impl ExpandError {
    pub fn message(&self) -> String {
        match self {
            ExpandError::Undefined(name) => format!("variable `@{{{name}}}` is not defined"),
            ExpandError::Recursive(name) => {
                format!("variable `@{{{name}}}` references itself")
            }
            ExpandError::TooLarge(name) => {
                format!("variable `@{{{name}}}` expands to more than {MAX_VALUES} values")
            }
            ExpandError::BadReference(text) => format!("invalid variable reference `{text}`"),
        }
    }
}

/// Set and boolean variables of one run.
#[derive(Clone, Debug, Default)]
pub struct SymbolTable {
    pub sets: BTreeMap<String, SetVariable>,
    pub booleans: BTreeMap<String, bool>,
}

/// A reference `@{NAME}` found in a text: the byte range and the name.
struct Reference<'a> {
    start: usize,
    end: usize,
    name: &'a str,
}

/// The first reference in `text` as upstream's `extract_variable` finds
/// it: the first unescaped `}` that follows an unescaped `@{` closes the
/// reference opened by the last `@{` before it (`@{a[@{b}` refers to `b`).
fn find_reference(text: &str) -> Option<Result<Reference<'_>, ExpandError>> {
    let bytes = text.as_bytes();
    let mut open = None;
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'\\' => index += 1,
            b'@' if bytes.get(index + 1) == Some(&b'{') => {
                open = Some(index);
                index += 1;
            }
            b'}' if open.is_some() => {
                let start = open?;
                return Some(Ok(Reference {
                    start,
                    end: index + 1,
                    name: &text[start + 2..index],
                }));
            }
            _ => {}
        }
        index += 1;
    }
    open.map(|start| Err(ExpandError::BadReference(text[start..].to_string())))
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whether `@{name}` with a name that is not valid is kept as text: a
/// name that starts with a letter and goes wrong first at a `,` reads as
/// an alternation (`@{a,b}`), as upstream reads it; any other bad name
/// (`@{,a}`, `@{a(b}`) is an error there.
fn kept_as_text(name: &str) -> bool {
    let starts_alpha = name.starts_with(|c: char| c.is_ascii_alphabetic());
    let first_bad = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'));
    starts_alpha && first_bad == Some(',')
}

/// The error for a reference `@{name}` whose name is not valid and not
/// kept as text.
fn bad_name(name: &str) -> ExpandError {
    if name.is_empty() {
        ExpandError::Undefined(String::new())
    } else {
        ExpandError::BadReference(format!("@{{{name}}}"))
    }
}

impl SymbolTable {
    /// The fully expanded values of a set variable.
    pub fn expand_set(&self, name: &str) -> Result<BTreeSet<String>, ExpandError> {
        let mut active = Vec::new();
        self.expand_set_inner(name, &mut active)
    }

    fn expand_set_inner(
        &self,
        name: &str,
        active: &mut Vec<String>,
    ) -> Result<BTreeSet<String>, ExpandError> {
        let variable = self
            .sets
            .get(name)
            .ok_or_else(|| ExpandError::Undefined(name.to_string()))?;
        if active.iter().any(|n| n == name) {
            return Err(ExpandError::Recursive(name.to_string()));
        }
        active.push(name.to_string());
        let mut out = BTreeSet::new();
        for value in &variable.values {
            for expanded in self.expand_value(value, active)? {
                out.insert(expanded);
                if out.len() > MAX_VALUES {
                    return Err(ExpandError::TooLarge(name.to_string()));
                }
            }
        }
        active.pop();
        Ok(out)
    }

    /// Expands one raw value into every combination of its references,
    /// left to right, keeping at most [`MAX_VALUES`] combinations.
    fn expand_value(
        &self,
        value: &str,
        active: &mut Vec<String>,
    ) -> Result<Vec<String>, ExpandError> {
        let mut results = vec![String::new()];
        let mut rest = value;
        while let Some(found) = find_reference(rest) {
            let reference = found?;
            let literal = &rest[..reference.start];
            if !valid_name(reference.name) {
                // Upstream looks every `@{...}` of a variable's value up as
                // a variable, so `@{a,b}` there is an error too.
                return Err(bad_name(reference.name));
            }
            let values = self.expand_set_inner(reference.name, active)?;
            let mut next = Vec::new();
            for base in &results {
                for inserted in &values {
                    next.push(format!("{base}{literal}{inserted}"));
                    if next.len() > MAX_VALUES {
                        return Err(ExpandError::TooLarge(reference.name.to_string()));
                    }
                }
            }
            results = next;
            rest = &rest[reference.end..];
        }
        results.iter_mut().for_each(|r| r.push_str(rest));
        Ok(results)
    }

    /// Replaces every `@{NAME}` in a pattern by its value or an
    /// alternation of its values, with upstream's slash handling.
    ///
    /// Upstream expands the first reference, then the rest of the text
    /// with the inserted values in front; so the text "before" a later
    /// reference is everything already expanded. A variable of several
    /// values loses the leading `/` of each value when that text ends in
    /// `/`, and the trailing `/` when the raw text after it starts with `/`;
    /// a single value is inserted as it is. Each reference is visited once,
    /// so the cost is linear in the output.
    pub fn expand_pattern(&self, text: &str) -> Result<String, ExpandError> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        let mut rounds = 0;
        while let Some(found) = find_reference(rest) {
            let reference = found?;
            let (start, end) = (reference.start, reference.end);
            if !valid_name(reference.name) && !kept_as_text(reference.name) {
                return Err(bad_name(reference.name));
            }
            if !valid_name(reference.name) {
                // `@{a,b}` in a rule is an alternation with `@`, and upstream
                // (4.x and later) expands nothing after it.
                out.push_str(rest);
                return Ok(out);
            }
            rounds += 1;
            if rounds > MAX_VALUES {
                return Err(ExpandError::TooLarge(reference.name.to_string()));
            }
            let suffix = &rest[end..];
            out.push_str(&rest[..start]);
            // Upstream looks at the text before the reference with earlier
            // references already expanded, and at the raw text after it.
            let trim_leading = out.ends_with('/');
            let inserted = self.insertion(reference.name, trim_leading, suffix.starts_with('/'))?;
            out.push_str(&inserted);
            rest = suffix;
        }
        out.push_str(rest);
        Ok(out)
    }

    /// The text inserted for `@{name}`: one value as it is, or `{a,b}` of
    /// several, each trimmed of the slashes the surrounding text supplies.
    fn insertion(
        &self,
        name: &str,
        trim_leading: bool,
        trim_trailing: bool,
    ) -> Result<String, ExpandError> {
        let values = self.expand_set(name)?;
        if let [one] = Vec::from_iter(&values).as_slice() {
            return Ok(one.to_string());
        }
        let trimmed: Vec<&str> = values
            .iter()
            .map(|value| {
                let value = if trim_leading {
                    value.trim_start_matches('/')
                } else {
                    value
                };
                if trim_trailing {
                    value.trim_end_matches('/')
                } else {
                    value
                }
            })
            .collect();
        Ok(format!("{{{}}}", trimmed.join(",")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn table(vars: &[(&str, &[&str])]) -> SymbolTable {
        let mut table = SymbolTable::default();
        for (name, values) in vars {
            let values = values.iter().map(|v| v.to_string()).collect();
            let span = Span::new(FileId(0), 0, 0);
            table
                .sets
                .insert(name.to_string(), SetVariable { values, span });
        }
        table
    }

    #[test]
    fn patterns_expand_as_upstream() {
        let table = table(&[
            ("HOME", &["/home/*/", "/root/"]),
            ("ONE", &["/one/"]),
            ("NESTED", &["@{ONE}x", "b"]),
            ("E", &[""]),
        ]);
        let cases = [
            ("@{HOME}/.x r", "{/home/*,/root}/.x r"),
            // One value is inserted as it is; the regex converter collapses
            // the `//` later, as upstream's does.
            ("/a/@{ONE}/b", "/a//one//b"),
            ("@{NESTED}", "{/one/x,b}"),
            ("/a@{E}b", "/ab"),
            ("/no/vars", "/no/vars"),
            ("/@{a,b}", "/@{a,b}"),
            // A literal `@{a,b}` stops expansion, as in upstream 4.x and
            // later (Debian's 3.0.8 expanded what follows it).
            ("/x/@{a,b}@{ONE}y", "/x/@{a,b}@{ONE}y"),
            ("/x/@{ONE}/@{a,b}/@{ONE}y", "/x//one//@{a,b}/@{ONE}y"),
        ];
        for (text, expected) in cases {
            assert_eq!(table.expand_pattern(text).unwrap(), expected, "{text}");
        }
    }

    #[test]
    fn hostile_expansions_are_bounded() {
        let twenty = "@{A}".repeat(20);
        let symbols = table(&[
            ("A", &["a", "b"]),
            ("ONE", &["x"]),
            ("W", &[twenty.as_str()]),
        ]);
        let many = "@{ONE}".repeat(20_000);
        assert!(matches!(
            symbols.expand_pattern(&many),
            Err(ExpandError::TooLarge(_))
        ));
        assert!(matches!(
            symbols.expand_set("W"),
            Err(ExpandError::TooLarge(_))
        ));
        let hundred = "@{ONE}".repeat(100);
        assert_eq!(symbols.expand_pattern(&hundred).unwrap(), "x".repeat(100));
    }

    #[test]
    fn expansion_errors() {
        let table = table(&[("SELF", &["@{SELF}/a"])]);
        let cases = [
            ("@{NOPE}", ExpandError::Undefined("NOPE".into())),
            ("@{SELF}", ExpandError::Recursive("SELF".into())),
            ("/a@{,b}", ExpandError::BadReference("@{,b}".into())),
            ("/a@{H(ME}", ExpandError::BadReference("@{H(ME}".into())),
            ("/a@{}", ExpandError::Undefined(String::new())),
        ];
        for (text, expected) in cases {
            assert_eq!(table.expand_pattern(text), Err(expected), "{text}");
        }
    }
}
