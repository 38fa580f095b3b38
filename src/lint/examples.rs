//! Example paths for lint messages: real paths when the set holds some,
//! shortest witnesses of the automaton otherwise.
//!
//! A message that says "leaves `/proc/sys/kernel/osrelease` writable" is
//! understood at once; "leaves `/proc/sys/kernel/aas` writable" needs a
//! second look. So examples are first taken from the inventories of real
//! `/proc` trees in fixtures/inventory (captured from a running kernel,
//! directories ending in `/`), and only when none of those is in the set
//! from the automaton's shortest witnesses.

use std::sync::OnceLock;

use crate::compile::byteset::ByteSet;
use crate::compile::pattern::Ir;
use crate::compile::{Dfa, Limits, dfa};

const PROC_SYS: &str = include_str!("../../fixtures/inventory/proc-sys.txt");
const PROC: &str = include_str!("../../fixtures/inventory/proc.txt");

/// Well-known paths outside the inventories, for the lints about kernel
/// control files.
const OTHERS: &[&str] = &[
    "/proc/sysrq-trigger",
    "/proc/kcore",
    "/sys/kernel/security/apparmor/.load",
    "/sys/kernel/security/apparmor/.replace",
    "/sys/kernel/security/apparmor/.remove",
    "/sys/kernel/security/ima/policy",
    "/sys/kernel/uevent_helper",
    "/sys/firmware/efi/efivars/",
    "/sys/fs/cgroup/release_agent",
];

/// Real paths, files before directories, shallow before deep, each group
/// in inventory order.
fn known_paths() -> &'static [&'static str] {
    static PATHS: OnceLock<Vec<&'static str>> = OnceLock::new();
    PATHS.get_or_init(|| {
        let lines = PROC_SYS.lines().chain(PROC.lines()).map(str::trim);
        let mut paths: Vec<&str> = lines
            .filter(|line| line.starts_with('/'))
            .chain(OTHERS.iter().copied())
            .collect();
        paths.sort_by_key(|path| (path.ends_with('/'), path.matches('/').count()));
        paths.dedup();
        paths
    })
}

/// Up to `count` paths of `set`, each as text: real ones when the set
/// holds some, varied (one per directory and first letter of the name
/// before any second one), else the shortest witnesses, files first.
pub fn examples(set: &Dfa<bool>, count: usize) -> Vec<String> {
    let real: Vec<&str> = known_paths()
        .iter()
        .copied()
        .filter(|path| *set.classify(path.as_bytes()))
        .collect();
    if real.is_empty() {
        return witnesses(set, count);
    }
    varied(&real, count)
}

/// The shortest paths of `set` not ending in `/`, or when it has none its
/// shortest directories.
fn witnesses(set: &Dfa<bool>, count: usize) -> Vec<String> {
    let files = set.product(files(), &Limits::default(), |a, b| *a && *b);
    let mut found = files.map_or(Vec::new(), |files| shortest(&files, count));
    if found.is_empty() {
        found = shortest(set, count);
    }
    found.iter().map(|path| display(path)).collect()
}

/// Up to `count` shortest strings of `set`, most readable bytes first.
///
/// A depth-first walk that only takes transitions on a shortest way to the
/// set, so each descent ends in a witness and the work is bounded by
/// `count` times the witness length times the byte classes.
// FIXME: `Dfa::witnesses` gives up after a fixed budget of breadth-first
// steps and can return nothing for a set of long paths (13 bytes and 40
// byte classes suffice); this walk stands in for it here until `compile`
// bounds its search by the distances as this one does.
fn shortest(set: &Dfa<bool>, count: usize) -> Vec<Vec<u8>> {
    let distance = distances(set);
    if distance[set.start() as usize] == u32::MAX {
        return Vec::new();
    }
    let order = readable_classes(set);
    let mut found = Vec::new();
    let mut path = Vec::new();
    descend(
        set,
        &distance,
        &order,
        set.start(),
        &mut path,
        &mut found,
        count,
    );
    found
}

fn descend(
    set: &Dfa<bool>,
    distance: &[u32],
    order: &[(usize, u8)],
    state: u32,
    path: &mut Vec<u8>,
    found: &mut Vec<Vec<u8>>,
    count: usize,
) {
    if distance[state as usize] == 0 {
        found.push(path.clone());
        return;
    }
    for &(class, byte) in order {
        let next = set.next_by_class(state, class);
        if distance[next as usize].saturating_add(1) != distance[state as usize] {
            continue;
        }
        path.push(byte);
        descend(set, distance, order, next, path, found, count);
        path.pop();
        if found.len() >= count {
            return;
        }
    }
}

/// For each state, the length of the shortest string to an accepting one.
fn distances(set: &Dfa<bool>) -> Vec<u32> {
    let classes = set.classes().count();
    let mut reverse = vec![Vec::new(); set.state_count()];
    for state in 0..set.state_count() as u32 {
        for class in 0..classes {
            reverse[set.next_by_class(state, class) as usize].push(state);
        }
    }
    let mut distance = vec![u32::MAX; set.state_count()];
    let mut queue = std::collections::VecDeque::new();
    for state in 0..set.state_count() as u32 {
        if *set.label(state) {
            distance[state as usize] = 0;
            queue.push_back(state);
        }
    }
    while let Some(state) = queue.pop_front() {
        for &source in &reverse[state as usize] {
            if distance[source as usize] == u32::MAX {
                distance[source as usize] = distance[state as usize] + 1;
                queue.push_back(source);
            }
        }
    }
    distance
}

/// Each byte class with its most readable byte, most readable first.
fn readable_classes(set: &Dfa<bool>) -> Vec<(usize, u8)> {
    let rank = |byte: u8| match byte {
        b'a'..=b'z' => 0,
        b'0'..=b'9' => 1,
        b'/' => 2,
        b'.' | b'_' | b'-' => 3,
        b'A'..=b'Z' => 4,
        _ if byte.is_ascii_graphic() => 5,
        _ => 6,
    };
    let mut order: Vec<(usize, u8)> = set
        .classes()
        .representatives()
        .into_iter()
        .enumerate()
        .collect();
    order.sort_by_key(|&(_, byte)| (rank(byte), byte));
    order
}

/// The strings that do not end in `/` (nor hold a NUL): paths of files
/// rather than directories.
pub fn files() -> &'static Dfa<bool> {
    static FILES: OnceLock<Dfa<bool>> = OnceLock::new();
    FILES.get_or_init(|| {
        let any = ByteSet::single(0).complement();
        let mut excluded = ByteSet::single(b'/');
        excluded.insert(0);
        let last = Ir::Class(excluded.complement());
        let ir = Ir::Concat(vec![Ir::Star(Box::new(Ir::Class(any))), last]);
        dfa::from_ir(&ir, &Limits::default()).expect("a small fixed automaton")
    })
}

/// Up to `count` of `paths`, first those whose directory and first letter
/// of the name no earlier pick shares, then the rest in order.
fn varied(paths: &[&str], count: usize) -> Vec<String> {
    let key = |path: &str| {
        let trimmed = path.trim_end_matches('/');
        let cut = trimmed.rfind('/').map_or(0, |slash| slash + 1);
        trimmed[..cut.min(trimmed.len())].to_string() + trimmed.get(cut..cut + 1).unwrap_or("")
    };
    let mut seen = std::collections::HashSet::new();
    let (mut picked, mut rest): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
    for &path in paths {
        if seen.insert(key(path)) {
            picked.push(path);
        } else {
            rest.push(path);
        }
    }
    picked.extend(rest);
    picked.into_iter().take(count).map(str::to_string).collect()
}

/// A path as text, bytes outside printable ASCII escaped as `\xNN`.
pub fn display(path: &[u8]) -> String {
    let mut text = String::new();
    for &byte in path {
        if byte.is_ascii_graphic() {
            text.push(byte as char);
        } else {
            text.push_str(&format!("\\x{byte:02x}"));
        }
    }
    text
}

/// Paths as a list for a message: `` `a`, `b` and `c` ``.
pub fn listed(paths: &[String]) -> String {
    let quoted: Vec<String> = paths.iter().map(|path| format!("`{path}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::pattern;

    fn set(text: &str) -> Dfa<bool> {
        let limits = Limits::default();
        dfa::from_ir(&pattern::parse(text, &limits).unwrap().ir, &limits).unwrap()
    }

    #[test]
    fn prefers_real_shallow_files() {
        let cases: &[(&str, &[&str])] = &[
            ("/proc/sys/kernel/osr*", &["/proc/sys/kernel/osrelease"]),
            ("/proc/kc*", &["/proc/kcore"]),
            ("/nowhere/?", &["/nowhere/a", "/nowhere/e"]),
            (
                "/proc/sys/kernel/shmm*",
                &["/proc/sys/kernel/shmmax", "/proc/sys/kernel/shmmni"],
            ),
        ];
        for (pattern, expected) in cases {
            assert_eq!(examples(&set(pattern), 2), *expected, "{pattern}");
        }
    }

    #[test]
    fn finds_long_witnesses_among_many_classes() {
        let many = set("/etc/a/[0-9a-zA-Z]*.conf");
        assert_eq!(
            shortest(&many, 2),
            [b"/etc/a/a.conf".to_vec(), b"/etc/a/b.conf".to_vec()]
        );
        assert!(shortest(&set("/x").complement(), 1)[0].is_empty());
        let none = set("/x").product(&set("/y"), &Limits::default(), |a, b| *a && *b);
        assert!(shortest(&none.unwrap(), 1).is_empty());
    }

    #[test]
    fn lists_and_escapes() {
        let paths = |list: &[&str]| list.iter().map(|p| p.to_string()).collect::<Vec<_>>();
        assert_eq!(listed(&paths(&["/a"])), "`/a`");
        assert_eq!(listed(&paths(&["/a", "/b", "/c"])), "`/a`, `/b` and `/c`");
        assert_eq!(display(b"/a b\x01"), "/a\\x20b\\x01");
    }
}
