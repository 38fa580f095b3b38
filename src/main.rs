//! The `aaprove` binary: everything lives in the library's `cli` module.

fn main() -> std::process::ExitCode {
    aaprove::cli::main()
}
