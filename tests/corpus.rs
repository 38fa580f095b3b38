//! Upstream's parser test corpus (`tst/simple_tests`): each `*.sd` file is
//! fed as upstream's `simple.pl` feeds it (its `#=` header lines removed,
//! include directory `simple_tests`, quoted includes relative to `tst/`),
//! and whether `check` would find an error (the resolver's errors and the
//! error-level findings of the lint run, which reports exec conflicts)
//! must agree with the file's `#=EXRESULT`.
//!
//! A `#=TODO` case is one where upstream's parser gives the opposite of
//! EXRESULT, so that opposite is what aaprove must match; `#=DISABLED`
//! cases are skipped, as upstream skips them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use aaprove::lint;
use aaprove::resolve::{Input, ResolveOptions, load};

/// The shared data folder: `AAPROVE_SHARED`, else `../shared` or
/// `../../shared` from the crate root.
fn shared_dir() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("AAPROVE_SHARED")
        && !dir.is_empty()
    {
        return Some(PathBuf::from(dir));
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    ["../shared", "../../shared"]
        .iter()
        .map(|relative| root.join(relative))
        .find(|dir| dir.join("corpus").is_dir())
}

/// Test files in upstream's order: files of a folder, then its subfolders.
fn find_tests(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("corpus folder is readable")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .collect();
    entries.sort();
    for path in &entries {
        if path.is_file() && path.extension().is_some_and(|ext| ext == "sd") {
            out.push(path.clone());
        }
    }
    for path in &entries {
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if path.is_dir() && !hidden {
            find_tests(path, out);
        }
    }
}

/// One test case: the text fed to the parser and the expected outcome.
struct Case {
    text: String,
    expect_pass: bool,
    disabled: bool,
    todo: bool,
}

/// Splits a test file as `simple.pl` does: header lines are dropped, and
/// lines after `#=DISABLED` are not fed.
fn read_case(path: &Path) -> Option<Case> {
    let bytes = std::fs::read(path).ok()?;
    let content = String::from_utf8_lossy(&bytes);
    let mut case = Case {
        text: String::new(),
        expect_pass: true,
        disabled: false,
        todo: false,
    };
    let mut has_result = false;
    for line in content.split_inclusive('\n') {
        if line.to_ascii_uppercase().starts_with("#=DESCRIPTION") {
            continue;
        } else if let Some(rest) = line.strip_prefix("#=EXRESULT") {
            has_result = true;
            case.expect_pass = rest.trim_start().starts_with("PASS");
        } else if line.starts_with("#=TODO") {
            case.todo = true;
        } else if line.starts_with("#=DISABLED") {
            case.disabled = true;
        } else if !case.disabled {
            case.text.push_str(line);
        }
    }
    has_result.then_some(case)
}

#[derive(Default)]
struct Tally {
    pass_total: usize,
    pass_agree: usize,
    fail_total: usize,
    fail_agree: usize,
    mismatches: Vec<String>,
}

#[test]
fn corpus_agrees_with_exresult() {
    let Some(shared) = shared_dir() else {
        assert!(
            std::env::var("AAPROVE_REQUIRE_ORACLE").as_deref() != Ok("1"),
            "shared corpus not found and AAPROVE_REQUIRE_ORACLE=1"
        );
        eprintln!("NOTICE: shared corpus not found; skipping the corpus test");
        return;
    };
    let tst = shared
        .join("corpus/tst")
        .canonicalize()
        .expect("tst folder");
    let simple = tst.join("simple_tests");
    let options = ResolveOptions {
        include_dirs: vec![simple.clone()],
        use_system_dir: false,
        base_dir: Some(tst.clone()),
    };
    let mut files = Vec::new();
    find_tests(&simple, &mut files);

    let mut folders: BTreeMap<String, Tally> = BTreeMap::new();
    let mut total = Tally::default();
    for path in &files {
        let Some(case) = read_case(path) else {
            continue;
        };
        if case.disabled {
            continue;
        }
        // Upstream's parser gives the opposite of EXRESULT on TODO cases.
        let upstream_passes = case.expect_pass != case.todo;
        let name = path.strip_prefix(&simple).unwrap().display().to_string();
        let resolved = load(
            Input::Text {
                name: name.clone(),
                text: case.text,
            },
            &options,
        );
        // `check` also reports what only the compiled profile shows (exec
        // conflicts between patterns) and error-level lints.
        let lint_errors: Vec<_> = resolved
            .profiles
            .iter()
            .flat_map(|profile| lint::run_all(profile, &resolved.sources))
            .filter(|d| d.is_error())
            .collect();
        let has_errors = resolved.has_errors() || !lint_errors.is_empty();
        let agree = has_errors != upstream_passes;
        let folder = name.split('/').next().unwrap_or("").to_string();
        for tally in [folders.entry(folder).or_default(), &mut total] {
            if upstream_passes {
                tally.pass_total += 1;
                tally.pass_agree += usize::from(agree);
            } else {
                tally.fail_total += 1;
                tally.fail_agree += usize::from(agree);
            }
            if !agree {
                let mut errors = resolved.diagnostics.iter().chain(&lint_errors);
                let first = errors.find(|d| d.is_error());
                let why = first.map_or(String::new(), |d| d.message.clone());
                let expected = if upstream_passes { "PASS" } else { "FAIL" };
                tally
                    .mismatches
                    .push(format!("{name}: expected {expected} {why}"));
            }
        }
    }

    for (folder, tally) in &folders {
        println!(
            "{folder:20} PASS {}/{}  FAIL {}/{}",
            tally.pass_agree, tally.pass_total, tally.fail_agree, tally.fail_total
        );
    }
    for mismatch in &total.mismatches {
        println!("mismatch: {mismatch}");
    }
    let ratio = |agree: usize, all: usize| agree as f64 / all.max(1) as f64;
    let pass = ratio(total.pass_agree, total.pass_total);
    let fail = ratio(total.fail_agree, total.fail_total);
    println!(
        "total PASS {}/{} ({:.1}%)  FAIL {}/{} ({:.1}%)",
        total.pass_agree,
        total.pass_total,
        pass * 100.0,
        total.fail_agree,
        total.fail_total,
        fail * 100.0
    );
    assert!(
        total.pass_total + total.fail_total > 100,
        "corpus looks empty"
    );
    assert!(
        pass >= 0.97,
        "agreement on PASS cases {:.1}% < 97%",
        pass * 100.0
    );
    assert!(
        fail >= 0.90,
        "agreement on FAIL cases {:.1}% < 90%",
        fail * 100.0
    );
}
