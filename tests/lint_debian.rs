//! Every profile file directly in `/etc/apparmor.d` (as Debian's packages
//! install them) draws no error-level lint: errors are for rules that are
//! surely wrong, and shipped profiles work. The warnings they draw are
//! printed (run with `--nocapture` to read them) and judged in the lint
//! documentation's "Known problems" sections.

use std::path::Path;

use aaprove::diagnostic::Severity;
use aaprove::resolve::{Input, ResolveOptions, is_ignored_entry, load};

const SYSTEM_DIR: &str = "/etc/apparmor.d";

#[test]
fn installed_profiles_draw_no_error_level_lint() {
    let dir = Path::new(SYSTEM_DIR);
    if !dir.is_dir() {
        assert!(
            std::env::var("AAPROVE_REQUIRE_ORACLE").as_deref() != Ok("1"),
            "{SYSTEM_DIR} is absent and AAPROVE_REQUIRE_ORACLE=1"
        );
        println!("NOTICE: {SYSTEM_DIR} is absent; skipping the Debian lint test");
        return;
    }
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("profile folder is readable")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.is_file())
        .filter(|path| !is_ignored_entry(&path.file_name().unwrap().to_string_lossy()))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no profiles in {SYSTEM_DIR}");

    let options = ResolveOptions {
        include_dirs: Vec::new(),
        use_system_dir: true,
        base_dir: Some(dir.to_path_buf()),
    };
    let mut errors = Vec::new();
    let mut linted = 0;
    for path in &files {
        let resolved = load(Input::Path(path.clone()), &options);
        for profile in &resolved.profiles {
            linted += 1;
            for finding in aaprove::lint::run_all(profile, &resolved.sources) {
                let place = finding.primary.as_ref().map_or(String::new(), |label| {
                    let file = resolved.sources.get(label.span.file);
                    let at = file.line_col(label.span.start);
                    format!("{}:{}", file.name, at.line)
                });
                let line = format!(
                    "{:?} {} {place}: {}",
                    finding.severity, finding.code, finding.message
                );
                println!("{line}");
                if finding.severity == Severity::Error {
                    errors.push(line);
                }
            }
        }
    }
    assert!(
        linted >= files.len(),
        "{linted} profiles in {} files",
        files.len()
    );
    assert!(
        errors.is_empty(),
        "error-level lints:\n{}",
        errors.join("\n")
    );
}
