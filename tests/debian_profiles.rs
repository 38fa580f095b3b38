//! Every profile file directly in `/etc/apparmor.d` (as installed by
//! Debian's apparmor, apparmor-profiles and apparmor-profiles-extra) must
//! resolve without errors, with includes searched in `/etc/apparmor.d`.

use std::path::Path;

use aaprove::resolve::{Input, ResolveOptions, is_ignored_entry, load};

const SYSTEM_DIR: &str = "/etc/apparmor.d";

#[test]
fn installed_profiles_have_no_errors() {
    let dir = Path::new(SYSTEM_DIR);
    if !dir.is_dir() {
        assert!(
            std::env::var("AAPROVE_REQUIRE_ORACLE").as_deref() != Ok("1"),
            "{SYSTEM_DIR} is absent and AAPROVE_REQUIRE_ORACLE=1"
        );
        eprintln!("NOTICE: {SYSTEM_DIR} is absent; skipping the Debian profile test");
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
    let mut failures = Vec::new();
    for path in &files {
        let resolved = load(Input::Path(path.clone()), &options);
        assert!(
            !resolved.used_embedded_tunables,
            "{}: tunables not found",
            path.display()
        );
        for diagnostic in resolved.diagnostics.iter().filter(|d| d.is_error()) {
            let place = diagnostic.primary.as_ref().map_or(String::new(), |label| {
                let file = resolved.sources.get(label.span.file);
                let at = file.line_col(label.span.start);
                format!("{}:{}:{}", file.name, at.line, at.column)
            });
            failures.push(format!(
                "{}: {place}: {}",
                path.display(),
                diagnostic.message
            ));
        }
        println!("{}: {} profiles", path.display(), resolved.profiles.len());
    }
    assert!(failures.is_empty(), "errors:\n{}", failures.join("\n"));
}
