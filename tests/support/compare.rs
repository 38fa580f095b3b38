//! Comparing aaprove's permission automaton with the parser's tables: on
//! single paths, and on whole automata.

use aaprove::compile::{PathPermissions, PermissionAutomaton};
use aaprove::model::FilePerms;

use super::oracle::CompiledPolicy;

/// Equal decisions, exec targets compared by name.
pub fn same_decision(
    ours: &PermissionAutomaton,
    theirs: &CompiledPolicy,
    got: &PathPermissions,
    expected: &PathPermissions,
) -> bool {
    got == expected
        && exec_names(got, |i| ours.exec_target(i).map(str::to_string))
            == exec_names(expected, |i| {
                theirs.exec_targets.get(i as usize - 4).cloned()
            })
}

fn exec_names(
    perms: &PathPermissions,
    name: impl Fn(u32) -> Option<String>,
) -> Vec<Option<String>> {
    [perms.owner.exec, perms.other.exec]
        .iter()
        .map(|exec| {
            exec.filter(|e| e.target() >= 4)
                .and_then(|e| name(e.target()))
        })
        .collect()
}

/// The first of `paths` on which the two disagree, described.
pub fn first_different_path(
    ours: &PermissionAutomaton,
    theirs: &CompiledPolicy,
    paths: &[Vec<u8>],
) -> Result<(), String> {
    for path in paths {
        let (got, expected) = (ours.lookup(path), theirs.lookup(path));
        if !same_decision(ours, theirs, &got, &expected) {
            return Err(format!(
                "path {:?}\naaprove: {got:?}\nparser:  {expected:?}\nrules matching: {:?}",
                String::from_utf8_lossy(path),
                ours.matching_rules(path)
            ));
        }
    }
    Ok(())
}

/// Checks the whole automata: every path, and with `link_pairs` every
/// string with a NUL too (the link pairs `PATH\0TARGET`; upstream also
/// puts `change_profile` rules there, which aaprove does not model).
pub fn equivalent(
    ours: &PermissionAutomaton,
    theirs: &CompiledPolicy,
    link_pairs: bool,
) -> Result<(), String> {
    let same = |got: &PathPermissions, expected: &PathPermissions, pair: bool| {
        // The tables keep explicit denials only as quiet bits, and a link
        // pair's quiet bits never hold the subset-test bit (the owner's `k`
        // position) its deny has: past a NUL, that deny bit is not compared.
        let (mut got, mut expected) = (*got, *expected);
        if pair {
            got.owner.deny = got.owner.deny.minus(FilePerms::LOCK);
            expected.owner.deny = expected.owner.deny.minus(FilePerms::LOCK);
        }
        same_decision(ours, theirs, &got, &expected)
    };
    theirs
        .equivalent(&ours.permissions_automaton(), link_pairs, same)
        .map_err(|difference| {
            format!(
                "automata differ first on {:?}\naaprove: {:?}\nparser:  {:?}",
                String::from_utf8_lossy(&difference.path),
                difference.ours,
                difference.theirs
            )
        })
}
