//! Query: what a profile decides for given paths, and the names by which
//! the profiles of a file are addressed.
//!
//! A query compiles one profile's file rules into its
//! [`PermissionAutomaton`] once and then answers any number of paths, each
//! by one walk of the automaton. Paths are taken as the kernel presents
//! them: no normalisation, a directory ends in `/`, and `//` is not
//! collapsed (the kernel never produces it, so no rule matches it).
//!
//! The answer for a path is the [`PathPermissions`] of both halves
//! (`owner`: files owned by the task's fsuid, `other`: the rest). Narrowed
//! to some permissions, each half gets one [`PermissionDecision`]: `allow`
//! when every asked permission is allowed, otherwise `deny` when at least
//! one of them is explicitly denied by a deny rule, otherwise `none` (no
//! rule allows it, which the kernel also refuses, but without a deny rule
//! saying so).

use serde::Serialize;

use crate::compile::{HalfPermissions, PathPermissions, PermissionAutomaton};
use crate::model::{FilePerms, Profile};

/// What one half decides for a set of permissions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PermissionDecision {
    /// Every asked permission is allowed.
    Allow,
    /// Not all are allowed, and at least one is explicitly denied.
    Deny,
    /// Not all are allowed, and none of the missing ones is explicitly
    /// denied: no rule allows them.
    None,
}

impl PermissionDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            PermissionDecision::Allow => "allow",
            PermissionDecision::Deny => "deny",
            PermissionDecision::None => "none",
        }
    }
}

/// The decision of one half for `perms`; see the module documentation.
/// An empty `perms` is allowed.
pub fn decide(half: &HalfPermissions, perms: FilePerms) -> PermissionDecision {
    if half.allow.contains(perms) {
        PermissionDecision::Allow
    } else if !FilePerms(half.deny.0 & perms.0).is_empty() {
        PermissionDecision::Deny
    } else {
        PermissionDecision::None
    }
}

/// The answer for one path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathAnswer {
    pub path: Vec<u8>,
    pub permissions: PathPermissions,
}

impl PathAnswer {
    /// The `[owner, other]` decisions for `perms`.
    pub fn decisions(&self, perms: FilePerms) -> [PermissionDecision; 2] {
        [
            decide(&self.permissions.owner, perms),
            decide(&self.permissions.other, perms),
        ]
    }
}

/// Answers paths against one compiled profile.
pub struct Query<'a> {
    automaton: &'a PermissionAutomaton,
}

impl<'a> Query<'a> {
    pub fn new(automaton: &'a PermissionAutomaton) -> Query<'a> {
        Query { automaton }
    }

    /// The answer for `path`, as the kernel presents it.
    pub fn answer(&self, path: &[u8]) -> PathAnswer {
        PathAnswer {
            path: path.to_vec(),
            permissions: self.automaton.lookup(path),
        }
    }

    /// The exec mode of a half as written in a profile (`ix`, `Px`, ...),
    /// with `-> target` for a named exec target; empty when `x` is not
    /// allowed.
    pub fn exec_text(&self, half: &HalfPermissions) -> String {
        exec_text(self.automaton, half)
    }
}

/// See [`Query::exec_text`].
pub fn exec_text(automaton: &PermissionAutomaton, half: &HalfPermissions) -> String {
    let Some(exec) = half.exec else {
        return String::new();
    };
    let mode = exec.mode_text();
    match automaton.exec_target(exec.target()) {
        Some(target) => format!("{mode} -> {target}"),
        None => mode,
    }
}

/// Every profile of a file with the name it is addressed by: top-level
/// profiles by their name, children and hats as `parent//child`, in file
/// order (a parent before its children).
pub fn profile_names(profiles: &[Profile]) -> Vec<(String, &Profile)> {
    let mut named = Vec::new();
    for profile in profiles {
        push_named(&mut named, profile.name.clone(), profile);
    }
    named
}

fn push_named<'p>(named: &mut Vec<(String, &'p Profile)>, name: String, profile: &'p Profile) {
    let children = profile.children.iter();
    let child_names: Vec<String> = children.map(|c| format!("{name}//{}", c.name)).collect();
    named.push((name, profile));
    for (child_name, child) in child_names.into_iter().zip(&profile.children) {
        push_named(named, child_name, child);
    }
}

/// The profile called `wanted` (`parent//child` for children and hats),
/// or the only top-level profile when `wanted` is `None`. The error names
/// every profile of the file.
pub fn select_profile<'p>(
    profiles: &'p [Profile],
    wanted: Option<&str>,
) -> Result<&'p Profile, String> {
    let named = profile_names(profiles);
    let list = || {
        let names: Vec<&str> = named.iter().map(|(name, _)| name.as_str()).collect();
        if names.is_empty() {
            "it has no profile".to_string()
        } else {
            format!("its profiles are: {}", names.join(", "))
        }
    };
    match wanted {
        Some(wanted) => named
            .iter()
            .find(|(name, _)| name == wanted)
            .map(|(_, profile)| *profile)
            .ok_or_else(|| format!("no profile is called `{wanted}`; {}", list())),
        None if profiles.len() == 1 => Ok(&profiles[0]),
        None if profiles.is_empty() => Err("the file defines no profile".to_string()),
        None => Err(format!(
            "choose a profile with `--profile NAME`; {}",
            list()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Origin;
    use crate::source::{FileId, Span};

    fn profile(name: &str, children: Vec<Profile>) -> Profile {
        Profile {
            name: name.into(),
            origin: Origin {
                span: Span::new(FileId(0), 0, 0),
                include_chain: vec![],
            },
            attachment: None,
            flags: vec![],
            is_hat: false,
            file_rules: vec![],
            other_rules: vec![],
            children,
            unresolved_includes: vec![],
        }
    }

    #[test]
    fn profiles_are_named_parent_slash_slash_child() {
        let file = [
            profile("a", vec![profile("h", vec![profile("g", vec![])])]),
            profile("b", vec![]),
        ];
        let names: Vec<String> = profile_names(&file).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["a", "a//h", "a//h//g", "b"]);
    }

    #[test]
    fn selection_names_every_profile_on_error() {
        let one = [profile("a", vec![profile("h", vec![])])];
        let two = [profile("a", vec![]), profile("b", vec![])];
        type Case<'a> = (&'a [Profile], Option<&'a str>, Result<&'a str, &'a str>);
        let cases: [Case; 6] = [
            (&one, None, Ok("a")),
            (&one, Some("a//h"), Ok("h")),
            (
                &one,
                Some("h"),
                Err("no profile is called `h`; its profiles are: a, a//h"),
            ),
            (
                &two,
                None,
                Err("choose a profile with `--profile NAME`; its profiles are: a, b"),
            ),
            (&two, Some("b"), Ok("b")),
            (&[], None, Err("the file defines no profile")),
        ];
        for (profiles, wanted, expected) in cases {
            let got = select_profile(profiles, wanted).map(|p| p.name.as_str());
            assert_eq!(got, expected.map_err(str::to_string), "{wanted:?}");
        }
    }

    #[test]
    fn decisions_of_several_letters() {
        let half = HalfPermissions {
            allow: FilePerms::from_letters("r").unwrap(),
            deny: FilePerms::from_letters("w").unwrap(),
            ..HalfPermissions::default()
        };
        let cases = [
            ("r", PermissionDecision::Allow),
            ("w", PermissionDecision::Deny),
            ("rw", PermissionDecision::Deny),
            ("rk", PermissionDecision::None),
            ("k", PermissionDecision::None),
        ];
        for (letters, expected) in cases {
            let perms = FilePerms::from_letters(letters).unwrap();
            assert_eq!(decide(&half, perms), expected, "{letters}");
        }
    }
}
