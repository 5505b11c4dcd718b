//! The Bolt server through the official Neo4j Python driver (Bolt 5.x):
//! `tests/bolt_python/check.py` runs its checks against a server started
//! here. The driver is installed with pip into a virtual environment under
//! Cargo's target directory (once; later runs reuse it), so the machine
//! needs `python3` with the `venv` module and access to the Python package
//! index. Without `python3` the test says so and does nothing else; any
//! other failure to set up the driver fails the test. The server checks
//! credentials as `serve` does: a users file for the basic scheme, HS256
//! bearer tokens.

mod auth_support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use graph_model::Database;
use server::auth::users::{add_user, hash_password, UserEntry};
use server::auth::{AuthConfig, RateLimiter, Role, Secret, TokenVerifier, Users};
use server::bolt::{spawn, BoltSettings};

/// The driver version the checks are written for.
const DRIVER: &str = "neo4j==6.4.1";

fn python_in(venv: &Path) -> PathBuf {
    venv.join("bin").join("python")
}

/// A virtual environment with the driver, made when missing.
fn driver_venv() -> PathBuf {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bolt-python-venv");
    let python = python_in(&venv);
    let ready = Command::new(&python)
        .args(["-c", "import neo4j"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ready {
        return venv;
    }
    let made = Command::new("python3")
        .args(["-m", "venv", "--clear"])
        .arg(&venv)
        .output()
        .expect("run python3 -m venv");
    assert!(
        made.status.success(),
        "python3 -m venv failed (on Debian, install python3-venv): {}",
        String::from_utf8_lossy(&made.stderr)
    );
    let installed = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            DRIVER,
        ])
        .output()
        .expect("run pip");
    assert!(
        installed.status.success(),
        "pip install {DRIVER} failed: {}",
        String::from_utf8_lossy(&installed.stderr)
    );
    venv
}

#[test]
fn the_python_driver_passes_its_checks() {
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("SKIPPED: python3 is not installed, so the Python driver checks did not run");
        return;
    }
    let venv = driver_venv();
    let dir = tempfile::tempdir().expect("tempdir");
    let users_file = dir.path().join("users.toml");
    let password = "driver-check-password";
    add_user(
        &users_file,
        UserEntry {
            name: "ann".into(),
            hash: hash_password(password).expect("hash"),
            role: Role::Admin,
            orgs: Vec::new(),
            scope: None,
        },
    )
    .expect("users file");
    let auth = AuthConfig::new(
        TokenVerifier::new(Some(&Secret::new(auth_support::SECRET)), None).expect("verifier"),
        Some(Users::load(&users_file).expect("users")),
        RateLimiter::new(1000),
    )
    .expect("auth");
    let mut expired = auth_support::claims("old", "admin");
    expired["exp"] = serde_json::json!(auth_support::now() - 3600);
    let db = Database::in_memory();
    let server = spawn(
        db,
        BoltSettings {
            authenticator: Arc::new(auth),
            ..BoltSettings::default()
        },
        "127.0.0.1:0".parse().expect("address"),
    )
    .expect("bolt server");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bolt_python/check.py");
    let output = Command::new(python_in(&venv))
        .arg(&script)
        .arg(server.addr.to_string())
        .env("CAREGRAPH_TEST_USER", "ann")
        .env("CAREGRAPH_TEST_PASSWORD", password)
        .env("CAREGRAPH_TEST_TOKEN", auth_support::admin_token())
        .env("CAREGRAPH_TEST_EXPIRED_TOKEN", auth_support::sign(&expired))
        .output()
        .expect("run the checks");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the Python checks failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("all checks passed"), "{stdout}");
    assert!(stdout.contains("ok neo4j:// routing"), "{stdout}");
    assert!(stdout.contains("ok bearer token"), "{stdout}");
    assert!(stdout.contains("ok expired token refused"), "{stdout}");
}
