//! The command-line interface: argument parsing, dispatch to the library,
//! and exit codes. `main.rs` only calls [`main`].
//!
//! Exit codes, the same for every command:
//!
//! - 0: clean (no error; no warning either under `--deny-warnings`);
//! - 1: findings: an error diagnostic (the profile is invalid), or a warning
//!   under `--deny-warnings`;
//! - 2: usage, input or I/O errors: bad arguments, a file that cannot be
//!   read, an unknown lint. It wins over 1 when both happen.
//!
//! Findings go to stdout through the reporter; the summary line, notes about
//! the run and the log (`-v`, `-q`) go to stderr. A closed stdout (a broken
//! pipe, as in `aaprove check x | head`) stops the output quietly and keeps
//! the exit code of the findings computed so far.

mod check;
mod diff;
mod explain;
mod load;
mod map;
mod prove;
mod query;
mod rules;

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::builtin;
use crate::report::Format;
use crate::resolve::{Input, ResolveOptions};

pub use check::CheckArgs;
pub use diff::DiffArgs;
pub use explain::ExplainArgs;
pub use load::LoadProfileArgs;
pub use map::MapArgs;
pub use prove::ProveArgs;
pub use query::QueryArgs;

/// The outcome of a command, ordered from best to worst.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Clean = 0,
    Findings = 1,
    Failure = 2,
}

impl From<Status> for ExitCode {
    fn from(status: Status) -> ExitCode {
        ExitCode::from(status as u8)
    }
}

/// aaprove: check, query and prove AppArmor profiles.
#[derive(Debug, Parser)]
#[command(name = "aaprove", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts, before or after its name.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Log more of what aaprove does to stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Log less (-q errors only, -qq nothing) and print no summary line.
    #[arg(short, long, action = clap::ArgAction::Count, global = true, conflicts_with = "verbose")]
    pub quiet: u8,
    /// Output format of diagnostics and listings.
    #[arg(long, value_enum, default_value_t = FormatArg::Text, global = true)]
    pub format: FormatArg,
    /// When to colour text output (auto: only on a terminal, and not under NO_COLOR).
    #[arg(long, value_enum, default_value_t = ColorArg::Auto, global = true)]
    pub color: ColorArg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// rustc-style diagnostics with source lines and carets.
    Text,
    /// one JSON object per line.
    Json,
    /// one SARIF 2.1.0 log.
    Sarif,
}

impl From<FormatArg> for Format {
    fn from(format: FormatArg) -> Format {
        match format {
            FormatArg::Text => Format::Text,
            FormatArg::Json => Format::Json,
            FormatArg::Sarif => Format::Sarif,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

/// How to find the files that `include` directives name.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Search DIR for `include <...>` before the base directory (repeatable).
    #[arg(short = 'I', long = "include-dir", value_name = "DIR")]
    pub include_dirs: Vec<PathBuf>,
    /// Use DIR instead of /etc/apparmor.d as the base directory.
    #[arg(short = 'b', long = "base", value_name = "DIR")]
    pub base_dir: Option<PathBuf>,
    /// Do not search the base directory for `include <...>`, only the -I ones.
    #[arg(long)]
    pub no_system_dir: bool,
}

/// The input a profile argument names: the built-in profile of that name
/// (`docker-default`), else the file at that path.
pub(crate) fn profile_input(name: &str) -> Input {
    match builtin::profile_text(name) {
        Some(text) => Input::Text {
            name: builtin::shown_name(name),
            text: text.to_string(),
        },
        None => Input::Path(PathBuf::from(name)),
    }
}

impl LoadArgs {
    pub fn resolve_options(&self) -> ResolveOptions {
        ResolveOptions {
            include_dirs: self.include_dirs.clone(),
            use_system_dir: !self.no_system_dir,
            base_dir: self.base_dir.clone(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse, resolve, validate and lint profiles; print every diagnostic.
    Check(CheckArgs),
    /// What a profile decides for paths: permissions of both halves.
    Query(QueryArgs),
    /// The decision for one path, every rule matching it, and why.
    Explain(ExplainArgs),
    /// Prove a spec about a profile over all paths (exit 0 proved, 1 not).
    Prove(ProveArgs),
    /// Prove a spec, then load the profile with apparmor_parser if proved.
    Load(LoadProfileArgs),
    /// List every lint: code, name, default severity and summary.
    Rules,
    /// Print the documentation of one lint, by code (L001) or name.
    Rule {
        /// A lint code such as `L001` or a name such as `unconfined-exec`.
        #[arg(value_name = "CODE|NAME")]
        lint: String,
    },
    /// Compare two profiles on every path: where one allows what the other does not.
    Diff(DiffArgs),
    /// Draw a directory tree with what one profile (or two) decides for each entry.
    Map(MapArgs),
}

/// Parses the process arguments, runs the command and returns its exit
/// code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // --help and --version also come here, with exit code 0.
            let _ = error.print();
            return ExitCode::from(error.exit_code().clamp(0, 255) as u8);
        }
    };
    init_logging(&cli.global);
    run(&cli).into()
}

/// Runs a parsed command line.
pub fn run(cli: &Cli) -> Status {
    let global = &cli.global;
    match &cli.command {
        Command::Check(args) => check::run(args, global),
        Command::Query(args) => query::run(args, global),
        Command::Explain(args) => explain::run(args, global),
        Command::Prove(args) => prove::run(args, global),
        Command::Load(args) => load::run(args, global),
        Command::Rules => rules::list(global),
        Command::Rule { lint } => rules::show(lint, global),
        Command::Diff(args) => diff::run(args, global),
        Command::Map(args) => map::run(args, global),
    }
}

fn init_logging(global: &GlobalArgs) {
    let level = match (global.verbose, global.quiet) {
        (0, 0) => log::LevelFilter::Warn,
        (0, 1) => log::LevelFilter::Error,
        (0, _) => log::LevelFilter::Off,
        (1, _) => log::LevelFilter::Info,
        (2, _) => log::LevelFilter::Debug,
        _ => log::LevelFilter::Trace,
    };
    env_logger::Builder::new()
        .filter_level(level)
        .format_timestamp(None)
        .format_target(false)
        .target(env_logger::Target::Stderr)
        .init();
}

fn color_choice(color: ColorArg) -> anstream::ColorChoice {
    match color {
        ColorArg::Auto => anstream::ColorChoice::Auto,
        ColorArg::Always => anstream::ColorChoice::Always,
        ColorArg::Never => anstream::ColorChoice::Never,
    }
}

/// Prints a usage or input problem on stderr as `error: ...`.
fn print_error(message: &str) {
    let _ = writeln!(io::stderr(), "error: {message}");
}

/// The status after writing output: `status` when the write succeeded or
/// stdout was closed by its reader, [`Status::Failure`] on any other error.
fn after_output(status: Status, written: io::Result<()>) -> Status {
    match written {
        Ok(()) => status,
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => {
            log::debug!("stdout closed by its reader; stopping output");
            status
        }
        Err(error) => {
            print_error(&format!("cannot write the output: {error}"));
            Status::Failure
        }
    }
}
