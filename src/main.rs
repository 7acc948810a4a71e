//! The `billcast` binary: parse arguments, run, map errors to exit codes. All logic lives in
//! the library; all printing lives in `cli`.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
