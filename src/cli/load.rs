//! `aaprove load PROFILE --spec SPEC [--dry-run] [--parser PATH] [-- ARGS...]`:
//! prove the spec, and only when every assertion is proved, hand the
//! profile to `apparmor_parser -r` (replace the loaded policy), or with
//! `--dry-run` to `apparmor_parser -QK` (compile only, no kernel, no cache).
//!
//! Exit codes: 0 proved and loaded (or compiled); 1 not proved, nothing
//! run; 2 input errors, or the parser could not run or failed (its own
//! output is passed through).

use std::path::PathBuf;
use std::process::Command;

use clap::Args;

use super::prove::{ProveArgs, prove_for_load};
use super::{GlobalArgs, Status, print_error};

/// Where `apparmor_parser` usually lives.
const DEFAULT_PARSER: &str = "/usr/sbin/apparmor_parser";

#[derive(Debug, Args)]
pub struct LoadProfileArgs {
    #[command(flatten)]
    pub prove: ProveArgs,
    /// Compile with `apparmor_parser -QK` instead of loading with `-r`.
    #[arg(long)]
    pub dry_run: bool,
    /// The apparmor_parser to run.
    #[arg(long, value_name = "PATH", default_value = DEFAULT_PARSER)]
    pub parser: PathBuf,
    /// More arguments for apparmor_parser, after `--`.
    #[arg(last = true, value_name = "ARGS")]
    pub parser_args: Vec<String>,
}

pub fn run(args: &LoadProfileArgs, global: &GlobalArgs) -> Status {
    let (status, proved) = prove_for_load(&args.prove, global);
    if !proved {
        if status == Status::Findings {
            print_error("the spec is not proved: nothing was loaded");
        }
        return status;
    }
    let arguments = parser_arguments(args);
    log::info!("running {} {arguments:?}", args.parser.display());
    match Command::new(&args.parser).args(&arguments).status() {
        Ok(exit) if exit.success() => Status::Clean,
        Ok(exit) => {
            print_error(&format!("{} failed ({exit})", args.parser.display()));
            Status::Failure
        }
        Err(error) => {
            print_error(&format!("cannot run {}: {error}", args.parser.display()));
            Status::Failure
        }
    }
}

/// `-r` or `-QK`, the include options `prove` used, the extra arguments,
/// then the profile file.
fn parser_arguments(args: &LoadProfileArgs) -> Vec<String> {
    let mode = if args.dry_run { "-QK" } else { "-r" };
    let mut arguments = vec![mode.to_string()];
    let load = &args.prove.load;
    for dir in &load.include_dirs {
        arguments.push(format!("--Include={}", dir.display()));
    }
    if let Some(base) = &load.base_dir {
        arguments.push(format!("--base={}", base.display()));
    }
    arguments.extend(args.parser_args.iter().cloned());
    arguments.push(args.prove.profile.display().to_string());
    arguments
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn parser_arguments_follow_the_options() {
        let cases: [(&[&str], &[&str]); 3] = [
            (&["p", "--spec", "s"], &["-r", "p"]),
            (&["p", "--spec", "s", "--dry-run"], &["-QK", "p"]),
            (
                &["p", "--spec", "s", "-I", "d", "--", "-W"],
                &["-r", "--Include=d", "-W", "p"],
            ),
        ];
        #[derive(Parser)]
        struct Wrapper {
            #[command(flatten)]
            load: LoadProfileArgs,
        }
        for (given, expected) in cases {
            let argv = std::iter::once("load").chain(given.iter().copied());
            let wrapper = Wrapper::try_parse_from(argv).expect("valid arguments");
            assert_eq!(parser_arguments(&wrapper.load), expected, "{given:?}");
        }
    }
}
