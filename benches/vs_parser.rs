//! Benchmarks of aaprove against `apparmor_parser` on the same input.
//!
//! Run with `cargo bench`. Each scenario times a whole `aaprove` command and
//! the `apparmor_parser -QK` compile of the same profiles, both as separate
//! processes, and prints the ratio of their median wall times. Each side
//! runs once untimed first (so that both read the files from the page
//! cache), then the two sides take turns, so that a change in the load of
//! the machine falls on both. These are measurements, never assertions:
//! nothing here fails on a slow machine.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 11;

struct Scenario {
    name: String,
    aaprove: Vec<String>,
    parser: Vec<String>,
}

fn main() {
    let Some(parser) = find_parser() else {
        println!("apparmor_parser not found: nothing to compare against");
        return;
    };
    let work = std::env::temp_dir().join(format!("aaprove-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work).expect("create bench folder");
    println!(
        "{:<44} {:>12} {:>12} {:>8}",
        "scenario", "aaprove", "parser", "ratio"
    );
    let aaprove = Path::new(env!("CARGO_BIN_EXE_aaprove"));
    for scenario in scenarios(&work) {
        run(aaprove, &scenario.aaprove);
        run(&parser, &scenario.parser);
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for _ in 0..RUNS {
            ours.push(run(aaprove, &scenario.aaprove));
            theirs.push(run(&parser, &scenario.parser));
        }
        let (ours, theirs) = (median(ours), median(theirs));
        let ratio = ours.as_secs_f64() / theirs.as_secs_f64();
        println!(
            "{:<44} {:>12.2?} {:>12.2?} {:>8.3}",
            scenario.name, ours, theirs, ratio
        );
    }
    let _ = std::fs::remove_dir_all(&work);
}

fn scenarios(work: &Path) -> Vec<Scenario> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corrected = root.join("profiles/docker_allow_checkpoint.corrected.profile");
    let spec = root.join("profiles/docker_allow_checkpoint.spec.toml");
    let docker_default = root.join("profiles/docker-default.profile");
    let paths = write_paths(work, 10_000);
    let mut scenarios = vec![
        check_all_system_profiles(),
        Scenario {
            name: "compile docker-default".into(),
            aaprove: args(&["query", path(&docker_default), "/proc/sys/kernel/shmmax"]),
            parser: args(&["-QK", path(&docker_default)]),
        },
        Scenario {
            name: "docker-default, 10,000 paths".into(),
            aaprove: args(&["query", path(&docker_default), "--paths", path(&paths)]),
            parser: args(&["-QK", path(&docker_default)]),
        },
        Scenario {
            name: "prove the corrected checkpoint profile".into(),
            aaprove: args(&["prove", path(&corrected), "--spec", path(&spec)]),
            parser: args(&["-QK", path(&corrected)]),
        },
    ];
    for count in [1, 10, 100, 1_000, 3_000, 10_000] {
        let profile = write_generated_profile(work, count);
        scenarios.push(Scenario {
            name: format!("{count} generated rules"),
            aaprove: args(&["query", path(&profile), "/srv/d0/f0"]),
            parser: args(&["-QK", path(&profile)]),
        });
    }
    scenarios
}

/// `check` over every profile directly in /etc/apparmor.d, in one process
/// for aaprove and in one for the parser.
fn check_all_system_profiles() -> Scenario {
    let mut files: Vec<String> = std::fs::read_dir("/etc/apparmor.d")
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .filter(|path| path.is_file())
                .map(|path| path.display().to_string())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut aaprove = args(&["check", "-q"]);
    aaprove.extend(files.iter().cloned());
    let mut parser = args(&["-QK"]);
    parser.extend(files);
    Scenario {
        name: "check all of /etc/apparmor.d".into(),
        aaprove,
        parser,
    }
}

/// A profile of `count` rules, alternating allows and denies over globs.
fn write_generated_profile(work: &Path, count: usize) -> PathBuf {
    let mut text = String::from("profile generated {\n");
    for index in 0..count {
        let rule = match index % 4 {
            0 => format!("  /srv/d{index}/** rw,\n"),
            1 => format!("  deny /srv/d{}/*.lock w,\n", index - 1),
            2 => format!("  owner /srv/{{a,b}}{index}/[^.]* r,\n"),
            _ => format!("  audit /srv/e{index}/f? rwk,\n"),
        };
        text.push_str(&rule);
    }
    text.push_str("}\n");
    let path = work.join(format!("generated-{count}.profile"));
    std::fs::write(&path, text).expect("write generated profile");
    path
}

/// `count` paths from the inventories, repeated as needed.
fn write_paths(work: &Path, count: usize) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/inventory");
    let mut all = String::new();
    for name in ["proc-sys.txt", "proc.txt", "sys.txt"] {
        all.push_str(&std::fs::read_to_string(root.join(name)).expect("read inventory"));
    }
    let lines: Vec<&str> = all.lines().collect();
    let chosen: Vec<&str> = lines.iter().cycle().take(count).copied().collect();
    let path = work.join("paths.txt");
    std::fs::write(&path, chosen.join("\n")).expect("write paths");
    path
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn run(program: &Path, arguments: &[String]) -> Duration {
    let start = Instant::now();
    let status = Command::new(program)
        .args(arguments)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", program.display()));
    let elapsed = start.elapsed();
    // Exit 1 means findings, which is still a complete run.
    assert!(
        status.code().is_some_and(|code| code <= 1),
        "{} {arguments:?} failed",
        program.display()
    );
    elapsed
}

fn find_parser() -> Option<PathBuf> {
    ["/usr/sbin/apparmor_parser", "/sbin/apparmor_parser"]
        .iter()
        .map(PathBuf::from)
        .find(|path| path.exists())
}

fn args(words: &[&str]) -> Vec<String> {
    words.iter().map(|word| word.to_string()).collect()
}

fn path(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}
