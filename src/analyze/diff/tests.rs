use super::*;
use crate::resolve;

/// A profile from rule lines (no commas), resolved as `aaprove` reads it.
fn profile(rules: &[&str]) -> Profile {
    let body: String = rules.iter().map(|rule| format!("  {rule},\n")).collect();
    let text = format!("profile p {{\n{body}}}\n");
    let mut resolved = resolve::load_test_text(&text);
    assert!(!resolved.has_errors(), "{:?}", resolved.diagnostics);
    resolved.profiles.remove(0)
}

fn diff(base: &[&str], new: &[&str], perms: &str, within: Option<&str>) -> ProfileDiff {
    let options = DiffOptions {
        perms: FilePerms::from_letters(perms).unwrap(),
        within: within.map(str::to_string),
        ..DiffOptions::default()
    };
    let mut inventory = Inventory::default();
    inventory.add_text("/a/x\n/b/\n/b/y\n/bin/sh\n/c/z\n");
    diff_profiles(&profile(base), &profile(new), &options, &inventory).unwrap()
}

/// A region as one line: kind, slices, summary (with `!` when it does not
/// cover the region) and the real path count.
fn region_text(region: &Region) -> String {
    let slices: Vec<String> = region
        .slices
        .iter()
        .map(|slice| {
            let half = match slice.half {
                Half::Owner => "owner",
                Half::Other => "other",
            };
            format!("{}:{half}", slice.perm.letters())
        })
        .collect();
    let complete = if region.summary_complete { "" } else { "!" };
    format!(
        "{:?} {} [{}]{complete} {}",
        region.change,
        slices.join(","),
        region.summary.join(" "),
        region.real_count
    )
}

/// Base rules, new rules, permissions, within, and the regions expected.
type RegionCase<'a> = (
    &'a [&'a str],
    &'a [&'a str],
    &'a str,
    Option<&'a str>,
    &'a [&'a str],
);

#[test]
fn regions_are_the_paths_that_differ() {
    let cases: &[RegionCase] = &[
        (
            &["/a/** w"],
            &["/a/** w", "/b/** w"],
            "w",
            None,
            &["Gained w:owner,w:other [/b/**] 1"],
        ),
        // `w` brings `a`, so the two letters are one region.
        (
            &["/a/** rw"],
            &["/a/** r"],
            "rwa",
            None,
            &["Lost w:owner,w:other,a:owner,a:other [/a/**] 1"],
        ),
        (
            &["owner /a/* r"],
            &["/a/* r"],
            "r",
            None,
            &["Gained r:other [/a/*] 1"],
        ),
        // A deny rule takes away what `file` gives.
        (
            &["/** rw", "deny /b/** w"],
            &["/** rw"],
            "w",
            Some("/b/**"),
            &["Gained w:owner,w:other [/b/**] 1"],
        ),
        (
            &["/** rw", "deny /b/** w"],
            &["/** rw"],
            "w",
            Some("/a/**"),
            &[],
        ),
        // Both allow `x`, with different modes: `ix` also brings `m`.
        (
            &["/bin/sh ix"],
            &["/bin/sh Px"],
            "mx",
            None,
            &[
                "Lost m:owner,m:other [/bin/sh] 1",
                "ExecChanged x:owner,x:other [/bin/sh] 1",
            ],
        ),
    ];
    for (base, new, perms, within, expected) in cases {
        let result = diff(base, new, perms, *within);
        let got: Vec<String> = result.regions.iter().map(region_text).collect();
        assert_eq!(got, *expected, "{base:?} -> {new:?} ({perms})");
        assert_eq!(result.files_equivalent(), expected.is_empty());
    }
}

#[test]
fn rules_written_differently_are_equivalent() {
    let cases: &[(&[&str], &[&str])] = &[
        (&["/a/** r", "/b/* w"], &["/b/* w", "/a/** r"]),
        (&["/a/* rw"], &["/a/* r", "/a/* w"]),
        (&["/a/{b,c} r"], &["/a/b r", "/a/c r"]),
        (
            &["/a/** rw", "deny /a/b w"],
            &["/a/b r", "/a/[^b]** rw", "/a/b?** rw", "/a/b/{,**} rw"],
        ),
        (&["allow /x r"], &["/x r"]),
        (&["/x w"], &["/x a", "/x w"]),
    ];
    for (base, new) in cases {
        let result = diff(base, new, "rwalkmx", None);
        let regions: Vec<String> = result.regions.iter().map(region_text).collect();
        assert!(result.files_equivalent(), "{base:?} {new:?}: {regions:?}");
    }
}

#[test]
fn witnesses_show_real_paths_first_and_the_deciding_rules() {
    let result = diff(&["/** r", "deny /b/** r"], &["/** r", "/b/** w"], "r", None);
    let [region] = result.regions.as_slice() else {
        panic!("one region: {:?}", result.regions.len());
    };
    assert_eq!(region_text(region), "Gained r:owner,r:other [/b/**] 1");
    let first = &region.witnesses[0];
    assert_eq!((first.path.as_slice(), first.real), (&b"/b/y"[..], true));
    let allow = vec![MapAccess::Allow; 2];
    assert_eq!(
        (first.base.access.clone(), first.base.rules.clone()),
        (vec![MapAccess::Deny; 2], vec![1])
    );
    assert_eq!(
        (first.new.access.clone(), first.new.rules.clone()),
        (allow, vec![0])
    );
    assert!(region.witnesses[1..].iter().all(|w| !w.real));
    assert_eq!(region.witnesses[1].path, b"/b/a");
}

#[test]
fn exec_witnesses_name_the_modes() {
    let result = diff(&["/bin/* Px -> t"], &["/bin/* Cx -> t"], "x", None);
    let [region] = result.regions.as_slice() else {
        panic!("one region");
    };
    assert_eq!(region.change, Change::ExecChanged);
    let witness = &region.witnesses[0];
    assert_eq!(witness.path, b"/bin/sh");
    assert_eq!(witness.base.exec.as_deref(), Some("Px -> t"));
    // The kernel knows a named child target as a profile transition.
    assert_eq!(witness.new.exec.as_deref(), Some("Px -> p//t"));
}

#[test]
fn an_invalid_within_pattern_is_an_error() {
    let options = DiffOptions {
        within: Some("/a/{b".to_string()),
        ..DiffOptions::default()
    };
    let error = scope(&options).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("invalid `--within` pattern `/a/{b`")
    );
}
