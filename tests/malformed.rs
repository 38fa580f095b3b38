//! Hostile and broken input: every case must end in error diagnostics that
//! point at a file, line and column, never in a panic, a stack overflow or
//! a hang. Large inputs are generated here, not stored.

use std::time::{Duration, Instant};

use aaprove::resolve::{Input, ResolveOptions, Resolved, load};

fn options() -> ResolveOptions {
    ResolveOptions {
        include_dirs: Vec::new(),
        use_system_dir: false,
        base_dir: None,
    }
}

fn load_text(text: String) -> Resolved {
    load(
        Input::Text {
            name: "malformed.sd".into(),
            text,
        },
        &options(),
    )
}

/// Asserts that there is an error and that every error has a place.
fn assert_located_errors(resolved: &Resolved, case: &str) {
    assert!(resolved.has_errors(), "{case}: no error reported");
    for diagnostic in resolved.diagnostics.iter().filter(|d| d.is_error()) {
        let label = diagnostic
            .primary
            .as_ref()
            .unwrap_or_else(|| panic!("{case}: error without a place: {}", diagnostic.message));
        let file = resolved.sources.get(label.span.file);
        let at = file.line_col(label.span.start);
        assert!(at.line >= 1 && at.column >= 1, "{case}: {at:?}");
    }
}

#[test]
fn truncated_and_unbalanced_files() {
    let whole = "include <tunables/global>\n/usr/bin/foo flags=(complain) {\n  /etc/passwd r,\n  \
                 capability chown,\n  network inet stream,\n  ^hat {\n    /tmp/** rw,\n  }\n}\n";
    // Every proper prefix that cuts the profile open is an error.
    for end in (whole.find('{').unwrap() + 1)..whole.len() - 1 {
        let case = &whole[..end];
        assert_located_errors(&load_text(case.to_string()), case);
    }
    let cases = [
        "/a { /b r, } }",
        "/a { /b r,",
        "/a { /b/{c,d r, }",
        "/a { /b/[c r, }",
        "/a { /b/c] r, }",
        "/a { signal (send receive, }",
        "/a { network inet stream }",
        "/a { \"/unterminated r, }",
        "@{V} = {a,b\n/a { @{V} r, }",
        "}}}}",
        "/a { if $undefined { } }",
    ];
    for case in cases {
        assert_located_errors(&load_text(case.to_string()), case);
    }
}

#[test]
fn binary_garbage_is_an_error() {
    let mut state: u32 = 0x1234_5678;
    let bytes: Vec<u8> = (0..200_000)
        .map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (state >> 16) as u8
        })
        .collect();
    let dir = std::env::temp_dir().join(format!("aaprove-malformed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("garbage.bin");
    std::fs::write(&path, &bytes).unwrap();
    let resolved = load(Input::Path(path.clone()), &options());
    std::fs::remove_dir_all(&dir).ok();
    assert_located_errors(&resolved, "binary garbage");

    let nul_text = "/a {\n  /b\0 r,\n}\n".to_string();
    assert_located_errors(&load_text(nul_text), "NUL byte");
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let depth = 10_000;
    let cases = [
        format!("/a {}{}", "{".repeat(depth), "}".repeat(depth)),
        format!("/a {{\n{}\n}}", "audit {".repeat(depth)),
        format!("$B = true\n/a {{ {} }}", "if $B {".repeat(depth)),
        format!("$B = {}true{}\n", "(".repeat(depth), ")".repeat(depth)),
        format!("$B = {}true\n", "not ".repeat(depth)),
    ];
    for case in cases {
        let start = Instant::now();
        let resolved = load_text(case.clone());
        assert_located_errors(&resolved, &case[..40]);
        assert!(start.elapsed() < Duration::from_secs(10), "{}", &case[..40]);
    }
}

#[test]
fn a_50_megabyte_file_is_handled_quickly() {
    let line = "/a/b/c rw, garbage ((( ]]] \"\n";
    let text = line.repeat(50 * 1024 * 1024 / line.len());
    let start = Instant::now();
    let resolved = load_text(text);
    assert_located_errors(&resolved, "50 MB of garbage");
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "took {:?}",
        start.elapsed()
    );

    let comment = "# just a comment line in a big file\n";
    let text = comment.repeat(50 * 1024 * 1024 / comment.len()) + "/a { /b r, }\n";
    let start = Instant::now();
    let resolved = load_text(text);
    assert!(!resolved.has_errors(), "{:?}", resolved.diagnostics.first());
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "took {:?}",
        start.elapsed()
    );
}
