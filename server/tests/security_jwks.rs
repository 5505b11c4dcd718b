//! RS256 and ES256 bearer tokens checked against the public keys of a
//! JWKS file (keys made here at test time), on an in-process HTTP server:
//! keys are chosen by `kid`, an unknown `kid` is refused, and so are the
//! algorithm confusions (an HS256 token when only public keys are
//! configured, even one "signed" with a public key; a token whose `alg`
//! does not fit its key).

mod auth_support;

use std::path::Path;
use std::sync::Arc;

use auth_support::{b64, bearer, claims};
use graph_model::Database;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::{EncodeRsaPrivateKey as _, EncodeRsaPublicKey as _};
use rsa::traits::PublicKeyParts as _;
use serde_json::{json, Value as Json};
use server::auth::{AuthConfig, ConfigError, RateLimiter, TokenVerifier};
use server::graphql::Limits;
use server::http::{spawn_full, AppState, QuerySettings, RunningServer};

struct RsaKey {
    private_pem: String,
    public_pem: String,
    jwk: Json,
}

fn rsa_key(kid: &str) -> RsaKey {
    let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("an RSA key");
    let public = private.to_public_key();
    RsaKey {
        private_pem: private
            .to_pkcs1_pem(rsa::pkcs1::LineEnding::LF)
            .expect("pem")
            .to_string(),
        public_pem: public
            .to_pkcs1_pem(rsa::pkcs1::LineEnding::LF)
            .expect("pem"),
        jwk: json!({
            "kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
            "n": b64(&public.n().to_bytes_be()),
            "e": b64(&public.e().to_bytes_be()),
        }),
    }
}

struct EcKey {
    private_pem: String,
    jwk: Json,
}

fn ec_key(kid: &str) -> EcKey {
    let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("an EC key");
    let point = pair.public_key_raw();
    assert_eq!(
        (point.len(), point[0]),
        (65, 4),
        "an uncompressed P-256 point"
    );
    EcKey {
        private_pem: pair.serialize_pem(),
        jwk: json!({
            "kty": "EC", "crv": "P-256", "kid": kid, "use": "sig",
            "x": b64(&point[1..33]), "y": b64(&point[33..]),
        }),
    }
}

fn signed(alg: Algorithm, kid: Option<&str>, key: &EncodingKey, claims: &Json) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, key).expect("sign")
}

fn write_jwks(dir: &Path, keys: &[&Json]) -> std::path::PathBuf {
    let path = dir.join("jwks.json");
    std::fs::write(&path, json!({ "keys": keys }).to_string()).expect("write jwks");
    path
}

fn start(jwks: &Path) -> RunningServer {
    let verifier = TokenVerifier::new(None, Some(jwks)).expect("verifier");
    let auth = AuthConfig::new(verifier, None, RateLimiter::disabled()).expect("auth");
    spawn_full(
        AppState::new(Database::in_memory(), None, Arc::new(auth)),
        QuerySettings::default(),
        Limits::default(),
        "127.0.0.1:0".parse().expect("addr"),
        1,
    )
    .expect("server")
}

/// Status and body of `GET /metrics` with `token`.
fn metrics(server: &RunningServer, token: &str) -> (u16, String) {
    match ureq::get(&format!("http://{}/metrics", server.addr))
        .set("Authorization", &bearer(token))
        .call()
    {
        Ok(r) | Err(ureq::Error::Status(_, r)) => (r.status(), r.into_string().expect("body")),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn rs256_and_es256_tokens_are_checked_against_the_jwks_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rsa = rsa_key("rsa-1");
    let ec = ec_key("ec-1");
    let server = start(&write_jwks(dir.path(), &[&rsa.jwk, &ec.jwk]));
    let rsa_signer = EncodingKey::from_rsa_pem(rsa.private_pem.as_bytes()).expect("rsa key");
    let ec_signer = EncodingKey::from_ec_pem(ec.private_pem.as_bytes()).expect("ec key");
    let admin = claims("ann", "admin");

    let good = [
        signed(Algorithm::RS256, Some("rsa-1"), &rsa_signer, &admin),
        signed(Algorithm::ES256, Some("ec-1"), &ec_signer, &admin),
    ];
    for token in &good {
        let (status, body) = metrics(&server, token);
        assert_eq!(status, 200, "{body}");
    }

    let other_rsa = rsa_key("rsa-1");
    let refused = [
        (
            "unknown kid",
            signed(Algorithm::RS256, Some("rsa-9"), &rsa_signer, &admin),
            "key id",
        ),
        (
            "no kid with two keys",
            signed(Algorithm::RS256, None, &rsa_signer, &admin),
            "key id",
        ),
        (
            "another key under the same kid",
            signed(
                Algorithm::RS256,
                Some("rsa-1"),
                &EncodingKey::from_rsa_pem(other_rsa.private_pem.as_bytes()).expect("key"),
                &admin,
            ),
            "signature",
        ),
        (
            "ES256 under an RSA kid",
            signed(Algorithm::ES256, Some("rsa-1"), &ec_signer, &admin),
            "`ES256`",
        ),
        (
            "HS256 without a configured secret",
            signed(
                Algorithm::HS256,
                None,
                &EncodingKey::from_secret(auth_support::SECRET.as_bytes()),
                &admin,
            ),
            "`HS256`",
        ),
        (
            "HS256 keyed with the RSA public key",
            signed(
                Algorithm::HS256,
                Some("rsa-1"),
                &EncodingKey::from_secret(rsa.public_pem.as_bytes()),
                &admin,
            ),
            "`HS256`",
        ),
        (
            "RS384",
            signed(Algorithm::RS384, Some("rsa-1"), &rsa_signer, &admin),
            "`RS384`",
        ),
        ("alg none", auth_support::unsigned(&admin), "`none`"),
    ];
    for (what, token, says) in refused {
        let (status, body) = metrics(&server, &token);
        assert_eq!(status, 401, "{what}: {body}");
        assert!(body.contains(says), "{what}: {body}");
    }
}

#[test]
fn a_single_key_serves_tokens_without_kid_and_bad_files_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ec = ec_key("only");
    let server = start(&write_jwks(dir.path(), &[&ec.jwk]));
    let signer = EncodingKey::from_ec_pem(ec.private_pem.as_bytes()).expect("ec key");
    let token = signed(Algorithm::ES256, None, &signer, &claims("ann", "analyst"));
    assert_eq!(metrics(&server, &token).0, 200);

    let missing = dir.path().join("missing.json");
    let err = TokenVerifier::new(None, Some(&missing)).expect_err("no file");
    assert!(err.to_string().contains("missing.json"), "{err}");
    let garbage = dir.path().join("garbage.json");
    std::fs::write(&garbage, "not json").expect("write");
    assert!(matches!(
        TokenVerifier::new(None, Some(&garbage)),
        Err(ConfigError::BadJwks { .. })
    ));
    let symmetric = dir.path().join("oct.json");
    std::fs::write(
        &symmetric,
        json!({"keys": [{"kty": "oct", "k": b64(b"shared"), "kid": "hmac"}]}).to_string(),
    )
    .expect("write");
    assert!(matches!(
        TokenVerifier::new(None, Some(&symmetric)),
        Err(ConfigError::NoUsableKey { .. })
    ));
}
