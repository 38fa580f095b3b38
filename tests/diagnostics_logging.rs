//! `aaprove -v check`: the log names every file read and, for each
//! include, the directories searched and the file found (or that none was).

mod cli_support;

use cli_support::aaprove;

/// A temporary folder with a profile and an include directory, removed on
/// drop.
struct Tree(std::path::PathBuf);

impl Tree {
    fn new(name: &str) -> Tree {
        let unique = format!("aaprove-logging-{name}-{}", std::process::id());
        let root = std::env::temp_dir().join(unique);
        std::fs::remove_dir_all(&root).ok();
        std::fs::create_dir_all(root.join("inc/abs")).unwrap();
        std::fs::write(root.join("inc/abs/one"), "/one r,\n").unwrap();
        let profile = "profile p {\n  include <abs/one>\n  include if exists <abs/two>\n}\n";
        std::fs::write(root.join("p.profile"), profile).unwrap();
        Tree(root)
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

#[test]
fn verbose_check_logs_files_and_include_search() {
    let tree = Tree::new("verbose");
    let (inc, profile) = (tree.path("inc"), tree.path("p.profile"));
    let args = ["-v", "check", "--no-system-dir", "-I", &inc, &profile];
    let run = aaprove(&args, "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let one = tree.path("inc/abs/one");
    let expected = [
        format!("reading {profile}"),
        format!("include <abs/one> searched in [{inc}]: found {one}"),
        format!("reading {one}"),
        format!("include <abs/two> searched in [{inc}]: not found"),
    ];
    let mut rest = run.stderr.as_str();
    for line in &expected {
        let at = rest.find(line.as_str());
        let at = at.unwrap_or_else(|| panic!("`{line}` not logged in order:\n{}", run.stderr));
        rest = &rest[at + line.len()..];
    }
}

#[test]
fn quiet_check_logs_nothing() {
    let tree = Tree::new("quiet");
    let (inc, profile) = (tree.path("inc"), tree.path("p.profile"));
    let run = aaprove(&["check", "--no-system-dir", "-I", &inc, &profile], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("reading"), "{}", run.stderr);
}
