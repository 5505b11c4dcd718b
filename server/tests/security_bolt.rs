//! Authentication over Bolt, on an in-process server with the enforcing
//! configuration (`serve --jwt-secret ... --users FILE`): the same bad
//! tokens HTTP refuses get a `Neo.ClientError.Security.Unauthorized`
//! FAILURE (and the connection is closed) with `LOGON` (5.1+) and `HELLO`
//! (4.4); users of the users file log in with `basic`; scheme `none` and
//! unknown schemes are refused; the rate limit and the query size limit
//! answer with FAILUREs.

mod auth_support;
mod bolt_support;

use std::sync::Arc;

use auth_support::{admin_token, bad_tokens, SECRET};
use bolt_support::{map, msg, s, start_with, Client};
use graph_model::Database;
use server::auth::users::{add_user, hash_password, UserEntry};
use server::auth::{AuthConfig, RateLimiter, Role, Secret, TokenVerifier, Users};
use server::bolt::packstream::PackValue;
use server::bolt::{BoltSettings, RunningBolt};

const UNAUTHORIZED: &str = "Neo.ClientError.Security.Unauthorized";

/// A server checking HS256 tokens and the users `ann` (admin, password
/// `ann-password`) and `cy` (clinician of `org-1`).
fn start(rate_limit: u32, max_query_bytes: usize) -> (RunningBolt, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let users_file = dir.path().join("users.toml");
    for (name, role, orgs) in [
        ("ann", Role::Admin, vec![]),
        ("cy", Role::Clinician, vec!["org-1".to_owned()]),
    ] {
        add_user(
            &users_file,
            UserEntry {
                name: name.into(),
                hash: hash_password(&format!("{name}-password")).expect("hash"),
                role,
                orgs,
                scope: None,
            },
        )
        .expect("add user");
    }
    let auth = Arc::new(
        AuthConfig::new(
            TokenVerifier::new(Some(&Secret::new(SECRET)), None).expect("verifier"),
            Some(Users::load(&users_file).expect("users")),
            RateLimiter::new(rate_limit),
        )
        .expect("auth"),
    );
    let server = start_with(
        &Database::in_memory(),
        BoltSettings {
            rate_limiter: auth.limiter().clone(),
            authenticator: auth,
            max_query_bytes,
            ..BoltSettings::default()
        },
    );
    (server, dir)
}

fn bearer(token: &str) -> Vec<(&'static str, PackValue)> {
    vec![("scheme", s("bearer")), ("credentials", s(token))]
}

fn basic(name: &str, password: &str) -> Vec<(&'static str, PackValue)> {
    vec![
        ("scheme", s("basic")),
        ("principal", s(name)),
        ("credentials", s(password)),
    ]
}

/// LOGON (Bolt 5.4) with `auth`: the response, and whether the server
/// closed the connection after it.
fn logon(server: &RunningBolt, auth: &[(&str, PackValue)]) -> (bolt_support::Response, bool) {
    let mut client = Client::v5_hello(server.addr);
    let response = client.request(&msg(0x6A, vec![map(auth)]));
    let closed = client.is_closed();
    (response, closed)
}

#[test]
fn bad_tokens_and_wrong_passwords_are_refused_and_disconnected() {
    let (server, _dir) = start(0, 1 << 20);
    for bad in bad_tokens() {
        let auth = match &bad.token {
            Some(token) => bearer(token),
            None => vec![("scheme", s("bearer"))],
        };
        let (response, closed) = logon(&server, &auth);
        assert_eq!(response.failure_code(), UNAUTHORIZED, "{}", bad.what);
        let message = response
            .get("message")
            .and_then(PackValue::as_str)
            .unwrap_or("");
        assert!(message.contains(bad.says), "{}: {message}", bad.what);
        assert!(closed, "{}: the connection stays open", bad.what);
    }
    for (what, auth) in [
        ("wrong password", basic("ann", "guess")),
        ("unknown user", basic("zed", "zed-password")),
        ("scheme none", vec![("scheme", s("none"))]),
        (
            "kerberos",
            vec![("scheme", s("kerberos")), ("credentials", s("ticket"))],
        ),
    ] {
        let (response, closed) = logon(&server, &auth);
        assert_eq!(response.failure_code(), UNAUTHORIZED, "{what}");
        assert!(closed, "{what}: the connection stays open");
    }
    // Bolt 4.4 authenticates in HELLO.
    let mut client = Client::handshake(server.addr, [[0, 0, 4, 4], [0; 4], [0; 4], [0; 4]]);
    let mut hello = vec![("user_agent", s("test/1"))];
    hello.extend(bearer("not-a-jwt"));
    let response = client.request(&msg(0x01, vec![map(&hello)]));
    assert_eq!(response.failure_code(), UNAUTHORIZED);
    assert!(client.is_closed());
}

#[test]
fn tokens_and_users_log_in() {
    let (server, _dir) = start(0, 1 << 20);
    let mut client = Client::v5_auth(server.addr, &bearer(&admin_token()));
    assert_eq!(
        client.query("RETURN 1 AS one", map(&[])),
        vec![vec![PackValue::Integer(1)]]
    );
    let mut client = Client::v5_auth(server.addr, &basic("cy", "cy-password"));
    assert_eq!(
        client.query("RETURN 2 AS two", map(&[])),
        vec![vec![PackValue::Integer(2)]]
    );
    // LOGOFF, then LOGON as someone else.
    client.request(&msg(0x6B, vec![])).success();
    client
        .request(&msg(0x6A, vec![map(&basic("ann", "ann-password"))]))
        .success();
    assert_eq!(
        client.query("RETURN 3 AS three", map(&[])),
        vec![vec![PackValue::Integer(3)]]
    );
    // Bolt 4.4 with a token in HELLO.
    let mut hello = vec![("user_agent", s("test/1"))];
    hello.extend(bearer(&admin_token()));
    let mut client = Client::handshake(server.addr, [[0, 0, 4, 4], [0; 4], [0; 4], [0; 4]]);
    client.request(&msg(0x01, vec![map(&hello)])).success();
    assert_eq!(
        client.query("RETURN 4 AS four", map(&[])),
        vec![vec![PackValue::Integer(4)]]
    );
}

#[test]
fn the_rate_limit_and_the_query_size_limit_fail_queries() {
    // One request per second, bursts of two.
    let (server, _dir) = start(1, 64);
    let mut client = Client::v5_auth(server.addr, &bearer(&admin_token()));
    client.query("RETURN 1", map(&[]));
    client.query("RETURN 1", map(&[]));
    let limited = client.run("RETURN 1", map(&[]), map(&[]));
    assert_eq!(
        limited.failure_code(),
        "Neo.TransientError.Request.ResourceExhaustion"
    );
    client.request(&msg(0x0F, vec![])).success(); // RESET
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let long = format!("RETURN '{}' AS x", "a".repeat(100));
    let refused = client.run(&long, map(&[]), map(&[]));
    assert_eq!(refused.failure_code(), "Neo.ClientError.Request.Invalid");
    let message = refused
        .get("message")
        .and_then(PackValue::as_str)
        .unwrap_or("");
    assert!(message.contains("limit of 64 bytes"), "{message}");
    client.request(&msg(0x0F, vec![])).success();
    assert_eq!(
        client.query("RETURN 5 AS five", map(&[])),
        vec![vec![PackValue::Integer(5)]]
    );
}
