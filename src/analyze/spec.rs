//! Specs: what a profile promises, read from a TOML file.
//!
//! A spec is a list of assertions. Each names a permission set, a region
//! (an AppArmor pattern) and one claim about the paths of the region where
//! those permissions are allowed. Reading a spec checks its shape and
//! reports every problem as a [`Diagnostic`] with a span in the spec file;
//! deciding the claims belongs to `prove`.
//!
//! ```toml
//! profile = "docker_allow_checkpoint"
//!
//! [[assert]]
//! name = "in /proc/sys/kernel only ns_last_pid and shm* are writable"
//! perm = "w"
//! within = "/proc/sys/kernel/**"
//! allow_exactly = ["/proc/sys/kernel/ns_last_pid", "/proc/sys/kernel/shm*"]
//! ```

use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use crate::diagnostic::Diagnostic;
use crate::model::FilePerms;
use crate::source::{FileId, Span};

/// A whole spec file.
#[derive(Clone, Debug)]
pub struct Spec {
    /// The profile the assertions are about; `None` when the profile file
    /// holds exactly one profile.
    pub profile: Option<String>,
    pub assertions: Vec<Assertion>,
}

/// One `[[assert]]` table.
#[derive(Clone, Debug)]
pub struct Assertion {
    pub name: String,
    pub span: Span,
    /// Each permission is decided separately: the claim must hold for every
    /// one of them.
    pub perms: FilePerms,
    pub half: HalfSelector,
    /// The region the claim speaks about, as an AppArmor pattern.
    pub within: Spanned<String>,
    pub claim: Claim,
}

/// Which half of the permission table makes a path count as allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HalfSelector {
    /// Allowed when the owner half or the other half allows it (the default:
    /// a task can usually reach both kinds of file).
    Either,
    /// Allowed only when both halves allow it.
    Both,
    Owner,
    Other,
}

/// What the assertion claims about the allowed paths of its region.
#[derive(Clone, Debug)]
pub enum Claim {
    /// The allowed paths are exactly those matching one of the patterns.
    AllowExactly(Vec<Spanned<String>>),
    /// The allowed paths all match one of the patterns (a subset claim).
    AllowOnly(Vec<Spanned<String>>),
    /// No path of the region is allowed.
    AllowNone,
    /// Every allowed path is also allowed by the baseline, except paths
    /// matching `except`.
    NoMoreThan {
        baseline: Baseline,
        except: Vec<Spanned<String>>,
    },
    /// The allowed paths are those the baseline allows, except paths
    /// matching `except`, which may differ.
    SameAs {
        baseline: Baseline,
        except: Vec<Spanned<String>>,
    },
}

/// The profile a comparison claim is measured against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Baseline {
    /// The docker-default profile aaprove embeds.
    DockerDefault,
    /// A profile file, relative to the spec file's folder; `profile` picks
    /// one profile when the file holds several.
    File {
        path: PathBuf,
        profile: Option<String>,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    profile: Option<String>,
    #[serde(rename = "assert", default)]
    assertions: Vec<Spanned<RawAssertion>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAssertion {
    name: String,
    perm: Spanned<String>,
    #[serde(default)]
    half: Option<HalfSelector>,
    within: Spanned<String>,
    allow_exactly: Option<Vec<Spanned<String>>>,
    allow_only: Option<Vec<Spanned<String>>>,
    allow_none: Option<Spanned<bool>>,
    no_more_than: Option<Spanned<String>>,
    same_as: Option<Spanned<String>>,
    baseline_profile: Option<Spanned<String>>,
    #[serde(default)]
    except: Vec<Spanned<String>>,
}

const CLAIM_KEYS: &str = "allow_exactly, allow_only, allow_none, no_more_than or same_as";

/// Reads a spec from the text of `file`. On errors, returns every problem
/// found; a spec with any error is not used.
pub fn parse_spec(file: FileId, text: &str) -> Result<Spec, Vec<Diagnostic>> {
    let raw: RawSpec = toml::from_str(text).map_err(|error| vec![toml_error(file, &error)])?;
    let mut diagnostics = Vec::new();
    let mut assertions = Vec::new();
    for raw_assertion in raw.assertions {
        let span = to_span(file, raw_assertion.span());
        match lower_assertion(file, span, raw_assertion.into_inner()) {
            Ok(assertion) => assertions.push(assertion),
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
    }
    if assertions.is_empty() && diagnostics.is_empty() {
        diagnostics.push(
            spec_error("the spec has no assertion")
                .with_help("add an `[[assert]]` table with `perm`, `within` and a claim"),
        );
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    Ok(Spec {
        profile: raw.profile,
        assertions,
    })
}

fn lower_assertion(file: FileId, span: Span, raw: RawAssertion) -> Result<Assertion, Diagnostic> {
    let perms = FilePerms::from_letters(raw.perm.get_ref())
        .filter(|perms| !perms.is_empty())
        .ok_or_else(|| {
            spec_error(format!(
                "`{}` is not a set of file permissions",
                raw.perm.get_ref()
            ))
            .with_primary(
                to_span(file, raw.perm.span()),
                "expected letters of `rwalkmx`",
            )
        })?;
    let claim = lower_claim(file, span, &raw)?;
    Ok(Assertion {
        name: raw.name,
        span,
        perms,
        half: raw.half.unwrap_or(HalfSelector::Either),
        within: raw.within,
        claim,
    })
}

fn lower_claim(file: FileId, span: Span, raw: &RawAssertion) -> Result<Claim, Diagnostic> {
    let mut claims = Vec::new();
    if let Some(patterns) = &raw.allow_exactly {
        claims.push(Claim::AllowExactly(patterns.clone()));
    }
    if let Some(patterns) = &raw.allow_only {
        claims.push(Claim::AllowOnly(patterns.clone()));
    }
    if let Some(flag) = &raw.allow_none {
        if !*flag.get_ref() {
            let label = "write `allow_none = true` or leave it out";
            return Err(spec_error("`allow_none = false` claims nothing")
                .with_primary(to_span(file, flag.span()), label));
        }
        claims.push(Claim::AllowNone);
    }
    if let Some(name) = &raw.no_more_than {
        let baseline = baseline(name.get_ref(), raw);
        claims.push(Claim::NoMoreThan {
            baseline,
            except: raw.except.clone(),
        });
    }
    if let Some(name) = &raw.same_as {
        let baseline = baseline(name.get_ref(), raw);
        claims.push(Claim::SameAs {
            baseline,
            except: raw.except.clone(),
        });
    }
    let comparison = raw.no_more_than.is_some() || raw.same_as.is_some();
    if let (false, Some(first)) = (comparison, raw.except.first()) {
        let label = "only a comparison with a baseline takes exceptions";
        return Err(spec_error("`except` without `no_more_than` or `same_as`")
            .with_primary(to_span(file, first.span()), label));
    }
    if let (false, Some(name)) = (comparison, &raw.baseline_profile) {
        let label = "only a comparison with a baseline names its profile";
        return Err(
            spec_error("`baseline_profile` without `no_more_than` or `same_as`")
                .with_primary(to_span(file, name.span()), label),
        );
    }
    match claims.len() {
        1 => Ok(claims.pop().expect("one claim")),
        0 => Err(
            spec_error(format!("assertion `{}` makes no claim", raw.name))
                .with_primary(span, "this assertion")
                .with_help(format!("add one of {CLAIM_KEYS}")),
        ),
        _ => Err(
            spec_error(format!("assertion `{}` makes several claims", raw.name))
                .with_primary(span, "this assertion")
                .with_help(format!(
                    "keep one of {CLAIM_KEYS}; split the rest into assertions"
                )),
        ),
    }
}

fn baseline(name: &str, raw: &RawAssertion) -> Baseline {
    if name == "docker-default" {
        return Baseline::DockerDefault;
    }
    Baseline::File {
        path: PathBuf::from(name),
        profile: raw
            .baseline_profile
            .as_ref()
            .map(|name| name.get_ref().clone()),
    }
}

fn spec_error(message: impl Into<String>) -> Diagnostic {
    Diagnostic::error("E900", "invalid-spec", message)
}

fn toml_error(file: FileId, error: &toml::de::Error) -> Diagnostic {
    let message = error
        .message()
        .lines()
        .next()
        .unwrap_or("invalid TOML")
        .to_string();
    let diagnostic = spec_error(message);
    match error.span() {
        Some(range) => diagnostic.with_primary(to_span(file, range), "here"),
        None => diagnostic,
    }
}

fn to_span(file: FileId, range: std::ops::Range<usize>) -> Span {
    Span::new(file, range.start, range.end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Spec, Vec<Diagnostic>> {
        parse_spec(FileId(0), text)
    }

    fn first_error(text: &str) -> String {
        parse(text).expect_err("spec should be rejected")[0]
            .message
            .clone()
    }

    #[test]
    fn reads_the_checkpoint_spec() {
        let text = include_str!("../../profiles/docker_allow_checkpoint.spec.toml");
        let spec = parse(text).expect("valid spec");
        assert_eq!(spec.profile.as_deref(), Some("docker_allow_checkpoint"));
        assert_eq!(spec.assertions.len(), 3);
        assert!(matches!(spec.assertions[0].claim, Claim::AllowExactly(ref p) if p.len() == 2));
        let Claim::NoMoreThan { baseline, except } = &spec.assertions[1].claim else {
            panic!("second claim should be no_more_than");
        };
        assert_eq!(*baseline, Baseline::DockerDefault);
        assert_eq!(except.len(), 1);
        assert_eq!(spec.assertions[1].perms.letters(), "wlkx");
        assert_eq!(spec.assertions[0].half, HalfSelector::Either);
    }

    #[test]
    fn rejects_malformed_assertions() {
        let base = "[[assert]]\nname = \"a\"\nwithin = \"/**\"\n";
        let cases = [
            (
                "perm = \"wz\"\nallow_none = true",
                "`wz` is not a set of file permissions",
            ),
            ("perm = \"w\"", "assertion `a` makes no claim"),
            (
                "perm = \"w\"\nallow_none = true\nallow_only = []",
                "assertion `a` makes several",
            ),
            (
                "perm = \"w\"\nallow_none = false",
                "`allow_none = false` claims nothing",
            ),
            (
                "perm = \"w\"\nallow_none = true\nexcept = [\"/a\"]",
                "`except` without",
            ),
            (
                "perm = \"w\"\nallow_none = true\nbaseline_profile = \"p\"",
                "`baseline_profile` without",
            ),
        ];
        for (body, expected) in cases {
            let message = first_error(&format!("{base}{body}\n"));
            assert!(message.starts_with(expected), "{body:?} gave {message:?}");
        }
    }

    #[test]
    fn toml_errors_carry_a_span() {
        let errors = parse("[[assert]]\nname = \"a\"\nbogus = 1\n").expect_err("unknown key");
        let primary = errors[0].primary.as_ref().expect("span");
        assert!(primary.span.start >= 11, "span {:?}", primary.span);
        assert!(first_error("").contains("no assertion"));
    }
}
