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

/// The first unescaped `@{...}` in `text`.
fn find_reference(text: &str) -> Option<Result<Reference<'_>, ExpandError>> {
    let bytes = text.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'\\' => index += 2,
            b'@' if bytes.get(index + 1) == Some(&b'{') => {
                let Some(close) = text[index..].find('}') else {
                    return Some(Err(ExpandError::BadReference(text[index..].to_string())));
                };
                let name = &text[index + 2..index + close];
                return Some(Ok(Reference {
                    start: index,
                    end: index + close + 1,
                    name,
                }));
            }
            _ => index += 1,
        }
    }
    None
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
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

    /// Expands one raw value into every combination of its references.
    fn expand_value(
        &self,
        value: &str,
        active: &mut Vec<String>,
    ) -> Result<Vec<String>, ExpandError> {
        let Some(found) = find_reference(value) else {
            return Ok(vec![value.to_string()]);
        };
        let reference = found?;
        if !valid_name(reference.name) {
            // `@{a,b}` is an alternation containing `@`, not a variable.
            return Ok(vec![value.to_string()]);
        }
        let prefix = &value[..reference.start];
        let values = self.expand_set_inner(reference.name, active)?;
        let mut out = Vec::new();
        for inserted in values {
            let rest = format!("{inserted}{}", &value[reference.end..]);
            for tail in self.expand_value(&rest, active)? {
                out.push(format!("{prefix}{tail}"));
                if out.len() > MAX_VALUES {
                    return Err(ExpandError::TooLarge(reference.name.to_string()));
                }
            }
        }
        Ok(out)
    }

    /// Replaces every `@{NAME}` in a pattern by its value or an
    /// alternation of its values, with upstream's slash handling.
    pub fn expand_pattern(&self, text: &str) -> Result<String, ExpandError> {
        let mut out = String::new();
        let mut rest = text.to_string();
        let mut rounds = 0;
        while let Some(found) = find_reference(&rest) {
            let reference = found?;
            if !valid_name(reference.name) {
                let end = reference.end;
                out.push_str(&rest[..end]);
                rest = rest[end..].to_string();
                continue;
            }
            rounds += 1;
            if rounds > MAX_VALUES {
                return Err(ExpandError::TooLarge(reference.name.to_string()));
            }
            let prefix = &rest[..reference.start];
            let suffix = &rest[reference.end..];
            let values = self.expand_set(reference.name)?;
            let trim_leading = prefix.ends_with('/') && prefix.contains(|c| c != '/');
            let trim_trailing = suffix.starts_with('/');
            let values: Vec<&str> = values
                .iter()
                .map(|v| {
                    let v = if trim_leading {
                        v.trim_start_matches('/')
                    } else {
                        v
                    };
                    if trim_trailing {
                        v.trim_end_matches('/')
                    } else {
                        v
                    }
                })
                .collect();
            let inserted = if values.len() == 1 {
                values[0].to_string()
            } else {
                format!("{{{}}}", values.join(","))
            };
            out.push_str(prefix);
            rest = format!("{inserted}{suffix}");
        }
        out.push_str(&rest);
        Ok(out)
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
            ("/a/@{ONE}/b", "/a/one/b"),
            ("@{NESTED}", "{/one/x,b}"),
            ("/a@{E}b", "/ab"),
            ("/no/vars", "/no/vars"),
            ("/@{a,b}", "/@{a,b}"),
        ];
        for (text, expected) in cases {
            assert_eq!(table.expand_pattern(text).unwrap(), expected, "{text}");
        }
    }

    #[test]
    fn expansion_errors() {
        let table = table(&[("SELF", &["@{SELF}/a"])]);
        let cases = [
            ("@{NOPE}", ExpandError::Undefined("NOPE".into())),
            ("@{SELF}", ExpandError::Recursive("SELF".into())),
        ];
        for (text, expected) in cases {
            assert_eq!(table.expand_pattern(text), Err(expected), "{text}");
        }
    }
}
