//! Comparing aaprove's permission automaton with the parser's tables: on
//! single paths, and on whole automata.

use aaprove::compile::perms::{EXEC_TARGET_FIRST_NAMED, EXEC_TARGET_SHIFT};
use aaprove::compile::{PathPermissions, PermissionAutomaton};
use aaprove::model::FilePerms;

use super::oracle::CompiledPolicy;

/// Equal decisions, named exec targets compared by name: the index of a
/// name in the exec table is an encoding, and aaprove's can differ from
/// upstream's (see the FIXME of `compile::profile::exec_table`).
pub fn same_decision(
    ours: &PermissionAutomaton,
    theirs: &CompiledPolicy,
    got: &PathPermissions,
    expected: &PathPermissions,
) -> bool {
    without_table_index(got) == without_table_index(expected)
        && exec_names(got, |i| ours.exec_target(i).map(str::to_string))
            == exec_names(expected, |i| {
                theirs.exec_targets.get(i as usize - 4).cloned()
            })
}

/// `permissions` with every exec table index replaced by the first one.
fn without_table_index(permissions: &PathPermissions) -> PathPermissions {
    let mut permissions = *permissions;
    for half in [&mut permissions.owner, &mut permissions.other] {
        if let Some(exec) = half
            .exec
            .as_mut()
            .filter(|e| e.target() >= EXEC_TARGET_FIRST_NAMED)
        {
            let field = 0xf << EXEC_TARGET_SHIFT;
            exec.bits = (exec.bits & !field) | EXEC_TARGET_FIRST_NAMED << EXEC_TARGET_SHIFT;
        }
    }
    permissions
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
