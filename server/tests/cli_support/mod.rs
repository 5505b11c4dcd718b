//! Running the `caregraph` binary from tests.
#![allow(dead_code)] // each test binary uses part of these helpers

use std::path::Path;
use std::process::{Command, Output};

/// Runs `caregraph` with `args` in `cwd`, without any settings file or
/// environment that could redirect it.
pub fn run(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caregraph"))
        .args(args)
        .current_dir(cwd)
        .env("CAREGRAPH_LOG", "error")
        .env("CAREGRAPH_CONFIG", cwd.join("no-such-caregraph.toml"))
        .env_remove("CAREGRAPH_DATA_DIR")
        .output()
        .expect("run caregraph")
}

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A path as a command-line argument.
pub fn path_arg(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}
