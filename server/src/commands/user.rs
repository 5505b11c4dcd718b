//! `caregraph user add`: users of Bolt's basic authentication.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::Path;

use anyhow::Context as _;

use crate::auth::users::{add_user, hash_password, UserEntry};
use crate::auth::Role;

/// Reads the password (one line of standard input), hashes it and adds or
/// replaces the user in `path`.
pub fn add(
    path: &Path,
    name: &str,
    role: Role,
    orgs: Vec<String>,
    scope: Option<String>,
) -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("password for {name} (shown as you type): ");
        std::io::stderr().flush()?;
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']);
    anyhow::ensure!(
        !password.is_empty(),
        "no password: write it as one line on standard input, e.g. `printf '%s\\n' \"$PW\" | caregraph user add ...`"
    );
    let entry = UserEntry {
        hash: hash_password(password)?,
        name: name.to_owned(),
        role,
        orgs,
        scope,
    };
    let replaced = add_user(path, entry)?;
    let verb = if replaced { "replaced" } else { "added" };
    println!("{verb} user {name} ({role}) in {}", path.display());
    Ok(())
}
