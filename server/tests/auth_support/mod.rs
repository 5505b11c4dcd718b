//! Tokens for the tests: HS256 tokens signed here with `jsonwebtoken`
//! (independently of the server's own signing code), and the enforcing
//! authentication configuration of an in-process server.
#![allow(dead_code)] // each test binary uses part of these helpers

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value as Json};
use server::auth::{AuthConfig, RateLimiter, Secret, TokenVerifier};

/// The HS256 secret the test servers are started with.
pub const SECRET: &str = "caregraph-test-secret-0123456789-abcdefghij";

/// Seconds since the epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// Claims of a valid token for `sub` with `role`, one hour long.
pub fn claims(sub: &str, role: &str) -> Json {
    json!({"sub": sub, "role": role, "aud": "caregraph", "exp": now() + 3600, "iat": now()})
}

/// `claims` signed with HS256 and `secret`.
pub fn sign_with(secret: &str, claims: &Json) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("sign")
}

/// `claims` signed with HS256 and [`SECRET`].
pub fn sign(claims: &Json) -> String {
    sign_with(SECRET, claims)
}

/// A valid admin token.
pub fn admin_token() -> String {
    sign(&claims("test-admin", "admin"))
}

/// The `Authorization` header value for `token`.
pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// What `serve --jwt-secret SECRET --rate-limit N` runs with, for
/// in-process servers.
pub fn enforcing(rate_limit: u32) -> Arc<AuthConfig> {
    let verifier = TokenVerifier::new(Some(&Secret::new(SECRET)), None).expect("verifier");
    Arc::new(AuthConfig::new(verifier, None, RateLimiter::new(rate_limit)).expect("auth config"))
}

/// base64url without padding.
pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A token with `alg: none` and no signature.
pub fn unsigned(claims: &Json) -> String {
    format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(claims.to_string().as_bytes())
    )
}

/// A token the server must refuse.
pub struct BadToken {
    /// What is wrong with it.
    pub what: &'static str,
    /// The token (`None`: no token at all).
    pub token: Option<String>,
    /// A fragment of the refusal's message.
    pub says: &'static str,
}

/// Tokens the server must refuse, each with what its refusal says.
pub fn bad_tokens() -> Vec<BadToken> {
    let mut expired = claims("ann", "admin");
    expired["exp"] = json!(now() - 3600);
    let mut early = claims("ann", "admin");
    early["nbf"] = json!(now() + 3600);
    let mut elsewhere = claims("ann", "admin");
    elsewhere["aud"] = json!("another-service");
    let mut no_exp = claims("ann", "admin");
    no_exp.as_object_mut().expect("object").remove("exp");
    let bad = |what, token: String, says| BadToken {
        what,
        token: Some(token),
        says,
    };
    vec![
        BadToken {
            what: "no token",
            token: None,
            says: "authentication required",
        },
        bad("not a JWT", "not-a-jwt".to_owned(), "malformed"),
        bad(
            "bad signature",
            sign_with(
                "another-secret-that-is-long-enough-0123456789",
                &claims("ann", "admin"),
            ),
            "signature is invalid",
        ),
        bad("expired", sign(&expired), "expired"),
        bad("not yet valid", sign(&early), "not valid yet"),
        bad("wrong audience", sign(&elsewhere), "audience"),
        bad("no expiry", sign(&no_exp), "`exp`"),
        bad(
            "alg none",
            unsigned(&claims("ann", "admin")),
            "algorithm `none`",
        ),
        bad(
            "unknown role",
            sign(&claims("ann", "superuser")),
            "unknown role `superuser`",
        ),
        bad(
            "clinician without orgs",
            sign(&claims("cy", "clinician")),
            "orgs",
        ),
    ]
}
