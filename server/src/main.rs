//! `caregraph`: the CareGraph server and its command line.

fn main() -> std::process::ExitCode {
    server::cli::main()
}
