//! Bearer tokens: JWTs signed with HS256 (a shared secret) or RS256 /
//! ES256 (public keys from a JWKS file, chosen by `kid`).
//!
//! A token must carry `sub`, `role`, `exp` and `aud` = `caregraph`;
//! `nbf` is checked when present; 30 s of clock skew are allowed. `orgs`
//! (a list of Organization ids) is required for clinicians, and `scope`
//! names the role a `service` token acts with (see
//! [`super::Principal::effective_role`]). Refused always: `alg: none`, any
//! algorithm but HS256, RS256 and ES256, an HS256 token when no secret is
//! configured (so a public key can never be used as an HMAC secret), a
//! `kid` that names no key, and a token without `kid` when more than one
//! public key could apply.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::error::{AuthError, ConfigError};
use super::{Principal, Role, Secret};

/// The audience every token must name.
pub const AUDIENCE: &str = "caregraph";
/// Clock skew allowed on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECS: u64 = 30;
/// The shortest HS256 secret accepted, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;

/// The claims of a token this server issues (`serve --demo`) or accepts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Subject.
    pub sub: String,
    /// Role: `admin`, `clinician`, `analyst` or `service`.
    pub role: String,
    /// Organization ids (clinicians).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub orgs: Vec<String>,
    /// The role a service acts with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Audience (`caregraph`).
    pub aud: String,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Issued at, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    /// Not before, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
}

impl Claims {
    /// Claims for `principal`, valid from now for `valid_for`.
    pub fn for_principal(principal: &Principal, valid_for: Duration) -> Claims {
        let now = now_secs();
        Claims {
            sub: principal.sub.clone(),
            role: principal.role.as_str().to_owned(),
            orgs: principal.orgs.clone(),
            scope: principal.scope.clone(),
            aud: AUDIENCE.to_owned(),
            exp: now + valid_for.as_secs(),
            iat: Some(now),
            nbf: None,
        }
    }
}

/// Seconds since the epoch.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Signs `claims` with HS256.
pub fn sign_hs256(secret: &Secret, claims: &Claims) -> Result<String, ConfigError> {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.expose().as_bytes()),
    )
    .map_err(|e| ConfigError::Sign(e.to_string()))
}

/// A random HS256 secret (32 random bytes, base64url): what `serve --demo`
/// uses when no secret is given.
pub fn random_secret() -> Secret {
    use rand::RngCore as _;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    Secret::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// One public key of the JWKS file.
struct PublicKey {
    kid: Option<String>,
    alg: Algorithm,
    key: DecodingKey,
}

/// Checks bearer tokens against the configured secret and public keys.
///
/// Tokens whose signature and claims have been checked are kept (up to
/// [`VERIFIED_TOKENS`] of them): a kept token skips the signature check
/// and the claims' parse, but its `exp` and `nbf` are checked again on
/// every use, with the same leeway and errors.
pub struct TokenVerifier {
    hmac: Option<DecodingKey>,
    keys: Vec<PublicKey>,
    verified: Box<moka::sync::Cache<String, Arc<Verified>>>,
}

/// How many verified tokens a [`TokenVerifier`] keeps.
pub const VERIFIED_TOKENS: u64 = 10_000;

/// A token that passed every check, and the times it is valid within.
struct Verified {
    principal: Principal,
    exp: u64,
    nbf: Option<u64>,
}

impl Verified {
    /// The principal, if the token is still (or already) valid at `now`
    /// (seconds since the epoch), as `jsonwebtoken` decides it.
    fn at(&self, now: u64) -> Result<Principal, AuthError> {
        if self.exp < now.saturating_sub(LEEWAY_SECS) {
            return Err(AuthError::Expired);
        }
        if self.nbf.is_some_and(|nbf| nbf > now + LEEWAY_SECS) {
            return Err(AuthError::NotYetValid);
        }
        Ok(self.principal.clone())
    }
}

impl fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenVerifier")
            .field("hs256_secret", &self.hmac.as_ref().map(|_| "<hidden>"))
            .field(
                "public_keys",
                &self
                    .keys
                    .iter()
                    .map(|k| (k.kid.clone(), k.alg))
                    .collect::<Vec<_>>(),
            )
            .field("verified_tokens_kept", &self.verified.entry_count())
            .finish()
    }
}

/// The fields of a token's claims this server reads (the registered time
/// and audience claims are checked by `jsonwebtoken`).
#[derive(Deserialize)]
struct ReadClaims {
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    orgs: Option<Vec<String>>,
    #[serde(default)]
    scope: Option<String>,
    /// Checked by `jsonwebtoken` (required); kept for later uses.
    #[serde(default)]
    exp: Option<u64>,
    /// Checked by `jsonwebtoken` when present; kept for later uses.
    #[serde(default)]
    nbf: Option<u64>,
}

impl TokenVerifier {
    /// A verifier from an HS256 secret and/or a JWKS file; `None` when
    /// neither is given.
    pub fn new(
        secret: Option<&Secret>,
        jwks: Option<&Path>,
    ) -> Result<Option<TokenVerifier>, ConfigError> {
        if secret.is_none() && jwks.is_none() {
            return Ok(None);
        }
        let hmac = match secret {
            Some(secret) => {
                let len = secret.expose().len();
                if len < MIN_SECRET_BYTES {
                    return Err(ConfigError::ShortSecret {
                        min: MIN_SECRET_BYTES,
                        len,
                    });
                }
                Some(DecodingKey::from_secret(secret.expose().as_bytes()))
            }
            None => None,
        };
        let keys = match jwks {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    what: "the JWKS file",
                    path: path.to_owned(),
                    source,
                })?;
                read_jwks(&text, path)?
            }
            None => Vec::new(),
        };
        Ok(Some(TokenVerifier {
            hmac,
            keys,
            verified: Box::new(moka::sync::Cache::new(VERIFIED_TOKENS)),
        }))
    }

    /// Number of public keys.
    pub fn public_keys(&self) -> usize {
        self.keys.len()
    }

    /// The principal of a valid token.
    pub fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        if let Some(verified) = self.verified.get(token) {
            return verified.at(now_secs());
        }
        let header = read_header(token)?;
        let (alg, key) = self.key_for(&header)?;
        let mut validation = Validation::new(alg);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "aud"]);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        let data =
            jsonwebtoken::decode::<ReadClaims>(token, key, &validation).map_err(|e| {
                match e.into_kind() {
                    ErrorKind::InvalidSignature
                    | ErrorKind::InvalidEcdsaKey
                    | ErrorKind::InvalidRsaKey(_) => AuthError::BadSignature,
                    ErrorKind::ExpiredSignature => AuthError::Expired,
                    ErrorKind::ImmatureSignature => AuthError::NotYetValid,
                    ErrorKind::InvalidAudience => AuthError::WrongAudience { expected: AUDIENCE },
                    ErrorKind::MissingRequiredClaim(claim)
                    | ErrorKind::InvalidClaimFormat(claim) => AuthError::MissingClaim { claim },
                    ErrorKind::InvalidAlgorithm
                    | ErrorKind::UnsupportedAlgorithm
                    | ErrorKind::InvalidAlgorithmName => AuthError::UnsupportedAlgorithm {
                        alg: header.alg.clone(),
                    },
                    other => AuthError::Malformed {
                        reason: jsonwebtoken::errors::Error::from(other).to_string(),
                    },
                }
            })?;
        let claims = data.claims;
        let sub = claims
            .sub
            .filter(|s| !s.is_empty())
            .ok_or_else(|| AuthError::MissingClaim {
                claim: "sub".into(),
            })?;
        let role: Role = claims
            .role
            .ok_or_else(|| AuthError::MissingClaim {
                claim: "role".into(),
            })?
            .parse()?;
        let principal = Principal::new(sub, role, claims.orgs.unwrap_or_default(), claims.scope)?;
        // `jsonwebtoken` requires `exp`: a token without one never gets here.
        if let Some(exp) = claims.exp {
            let verified = Verified {
                principal: principal.clone(),
                exp,
                nbf: claims.nbf,
            };
            self.verified.insert(token.to_owned(), Arc::new(verified));
        }
        Ok(principal)
    }

    /// The algorithm and key a token with `header` must be checked with.
    fn key_for(&self, header: &TokenHeader) -> Result<(Algorithm, &DecodingKey), AuthError> {
        let unsupported = || AuthError::UnsupportedAlgorithm {
            alg: header.alg.clone(),
        };
        let alg = match header.alg.as_str() {
            "HS256" => Algorithm::HS256,
            "RS256" => Algorithm::RS256,
            "ES256" => Algorithm::ES256,
            _ => return Err(unsupported()),
        };
        if alg == Algorithm::HS256 {
            return self.hmac.as_ref().map(|k| (alg, k)).ok_or_else(unsupported);
        }
        if self.keys.is_empty() {
            return Err(unsupported());
        }
        let key = match &header.kid {
            Some(kid) => self
                .keys
                .iter()
                .find(|k| k.kid.as_deref() == Some(kid.as_str())),
            None if self.keys.len() == 1 => self.keys.first(),
            None => None,
        };
        let Some(key) = key else {
            return Err(AuthError::UnknownKey {
                kid: header.kid.clone(),
            });
        };
        if key.alg != alg {
            return Err(unsupported());
        }
        Ok((alg, &key.key))
    }
}

/// The header fields the key choice needs, read before anything else so
/// that `alg: none` (which `jsonwebtoken` has no name for) is told apart
/// from a malformed token.
struct TokenHeader {
    alg: String,
    kid: Option<String>,
}

fn read_header(token: &str) -> Result<TokenHeader, AuthError> {
    let malformed = |reason: &str| AuthError::Malformed {
        reason: reason.to_owned(),
    };
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed("a JWT has three parts separated by `.`"));
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header.trim_end_matches('='))
        .map_err(|_| malformed("the header is not base64url"))?;
    let json: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|_| malformed("the header is not JSON"))?;
    let alg = json
        .get("alg")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| malformed("the header has no `alg`"))?
        .to_owned();
    let kid = json
        .get("kid")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned);
    Ok(TokenHeader { alg, kid })
}

/// The RS256 and ES256 keys of a JWKS document. Keys for encryption are
/// skipped, and so are key types this server does not verify with (logged);
/// a set with no usable key is an error.
fn read_jwks(text: &str, path: &Path) -> Result<Vec<PublicKey>, ConfigError> {
    let set: JwkSet = serde_json::from_str(text).map_err(|e| ConfigError::BadJwks {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    let mut keys = Vec::new();
    for jwk in &set.keys {
        let kid = jwk.common.key_id.clone();
        if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
            tracing::debug!(?kid, "JWKS: skipping an encryption key");
            continue;
        }
        let alg = match &jwk.algorithm {
            AlgorithmParameters::RSA(_) => Algorithm::RS256,
            AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
                Algorithm::ES256
            }
            _ => {
                tracing::warn!(?kid, file = %path.display(), "JWKS: skipping a key that is neither RSA nor EC P-256");
                continue;
            }
        };
        if let Some(named) = jwk.common.key_algorithm {
            let fits = matches!(
                (alg, named),
                (Algorithm::RS256, jsonwebtoken::jwk::KeyAlgorithm::RS256)
                    | (Algorithm::ES256, jsonwebtoken::jwk::KeyAlgorithm::ES256)
            );
            if !fits {
                tracing::warn!(?kid, alg = ?named, file = %path.display(), "JWKS: skipping a key for an algorithm other than RS256/ES256");
                continue;
            }
        }
        let key = DecodingKey::from_jwk(jwk).map_err(|e| ConfigError::BadJwks {
            path: path.to_owned(),
            reason: format!("key {kid:?}: {e}"),
        })?;
        keys.push(PublicKey { kid, alg, key });
    }
    if keys.is_empty() {
        return Err(ConfigError::NoUsableKey {
            path: path.to_owned(),
        });
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verifier(secret: &Secret) -> TokenVerifier {
        TokenVerifier::new(Some(secret), None)
            .expect("config")
            .expect("a verifier")
    }

    #[test]
    fn a_kept_token_is_checked_for_time_on_every_use() {
        let principal = Principal::new("kept", Role::Analyst, Vec::new(), None).expect("principal");
        let now = now_secs();
        let kept = |exp, nbf| Verified {
            principal: principal.clone(),
            exp,
            nbf,
        };
        assert_eq!(kept(now + 60, None).at(now).expect("valid").sub, "kept");
        // Within the leeway on both sides, as jsonwebtoken allows.
        assert!(kept(now - LEEWAY_SECS, Some(now + LEEWAY_SECS))
            .at(now)
            .is_ok());
        assert!(matches!(
            kept(now - LEEWAY_SECS - 1, None).at(now),
            Err(AuthError::Expired)
        ));
        assert!(matches!(
            kept(now + 60, Some(now + LEEWAY_SECS + 1)).at(now),
            Err(AuthError::NotYetValid)
        ));
    }

    #[test]
    fn the_second_use_of_a_token_gives_the_same_principal_and_a_forged_one_fails() {
        let secret = Secret::new("k".repeat(MIN_SECRET_BYTES));
        let verifier = verifier(&secret);
        let principal =
            Principal::new("c1", Role::Clinician, vec!["org-1".into()], None).expect("principal");
        let claims = Claims::for_principal(&principal, Duration::from_secs(600));
        let token = sign_hs256(&secret, &claims).expect("token");
        let first = verifier.verify(&token).expect("valid");
        let second = verifier.verify(&token).expect("valid again");
        assert_eq!(first, second);
        assert_eq!(second.orgs, vec!["org-1".to_owned()]);
        // A token with the same claims but another key is still refused
        // (the kept token is found by its whole text, signature included).
        let other = sign_hs256(&Secret::new("x".repeat(MIN_SECRET_BYTES)), &claims).expect("token");
        assert!(matches!(
            verifier.verify(&other),
            Err(AuthError::BadSignature)
        ));
        // An expired token is never kept, and refused each time.
        let mut expired = claims;
        expired.exp = now_secs() - LEEWAY_SECS - 10;
        let expired = sign_hs256(&secret, &expired).expect("token");
        for _ in 0..2 {
            assert!(matches!(verifier.verify(&expired), Err(AuthError::Expired)));
        }
    }
}
