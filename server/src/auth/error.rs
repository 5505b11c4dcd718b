//! Why a request, a login or the authentication settings were refused.

use std::path::PathBuf;

/// Why credentials were refused. The text is safe to send to the client:
/// it never contains the token, the password or a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No credentials were sent.
    #[error("authentication required: send `Authorization: Bearer <token>`")]
    Missing,
    /// The `Authorization` header is not `Bearer <token>`.
    #[error("the Authorization header must be `Bearer <token>`")]
    NotBearer,
    /// The token is not a JWT (three base64url parts, JSON header and claims).
    #[error("the token is malformed: {reason}")]
    Malformed {
        /// What is wrong with it.
        reason: String,
    },
    /// The signature does not match.
    #[error("the token's signature is invalid")]
    BadSignature,
    /// `exp` has passed.
    #[error("the token has expired")]
    Expired,
    /// `nbf` is in the future.
    #[error("the token is not valid yet (nbf)")]
    NotYetValid,
    /// `aud` is not `caregraph`.
    #[error("the token's audience (aud) must be `{expected}`")]
    WrongAudience {
        /// The audience this server requires.
        expected: &'static str,
    },
    /// A required claim is missing or has the wrong type.
    #[error("the token has no valid `{claim}` claim")]
    MissingClaim {
        /// The claim.
        claim: String,
    },
    /// An algorithm this server does not accept (`none`, or one whose keys
    /// are not configured).
    #[error("the token's algorithm `{alg}` is not accepted here")]
    UnsupportedAlgorithm {
        /// The `alg` of the token's header.
        alg: String,
    },
    /// A `kid` that names no configured key, or no `kid` when several keys
    /// could apply.
    #[error("the token's key id {kid:?} names no configured key")]
    UnknownKey {
        /// The `kid` of the header, if any.
        kid: Option<String>,
    },
    /// A `role` claim that is not `admin`, `clinician`, `analyst` or
    /// `service`.
    #[error("unknown role `{role}`: use admin, clinician, analyst or service")]
    UnknownRole {
        /// The role that was sent.
        role: String,
    },
    /// A service token's `scope` that is not `admin`, `clinician` or
    /// `analyst`.
    #[error("unknown scope `{scope}`: a service token's scope is admin, clinician or analyst")]
    UnknownScope {
        /// The scope that was sent.
        scope: String,
    },
    /// A clinician (or a service acting as one) without organizations.
    #[error("a clinician token must name its organizations in `orgs`")]
    MissingOrgs,
    /// An unknown user, or a wrong password (the two are not told apart).
    #[error("unknown user or wrong password")]
    BadPassword,
    /// A Bolt authentication scheme this server does not take.
    #[error("unsupported authentication scheme `{scheme}`: use `bearer` (a token) or `basic` (a user of the users file)")]
    UnsupportedScheme {
        /// The scheme that was sent.
        scheme: String,
    },
    /// A scheme whose credentials are not configured on this server
    /// (e.g. `basic` without a users file).
    #[error("this server takes no `{scheme}` credentials: {hint}")]
    NotConfigured {
        /// The scheme.
        scheme: &'static str,
        /// What the server does take.
        hint: &'static str,
    },
}

impl AuthError {
    /// The `error` parameter of `WWW-Authenticate: Bearer` (RFC 6750):
    /// `invalid_request` for a missing or mangled header, `invalid_token`
    /// for a token that was read and refused; `None` when no credentials
    /// were sent at all.
    pub fn bearer_error(&self) -> Option<&'static str> {
        match self {
            AuthError::Missing => None,
            AuthError::NotBearer => Some("invalid_request"),
            _ => Some("invalid_token"),
        }
    }
}

/// Why the authentication settings cannot be used (the server does not
/// start).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No way to authenticate was configured.
    #[error("no way to authenticate clients: give --jwt-secret (or CAREGRAPH_JWT_SECRET), --jwks FILE or --users FILE, or run with --demo")]
    NoMethod,
    /// The HS256 secret is too short to be safe.
    #[error("the JWT secret must be at least {min} bytes long (it has {len})")]
    ShortSecret {
        /// The minimum.
        min: usize,
        /// Its length.
        len: usize,
    },
    /// A file cannot be read.
    #[error("cannot read {what} {path}: {source}")]
    Read {
        /// What the file is for.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file cannot be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The JWKS file is not a JSON Web Key Set.
    #[error("{path} is not a JSON Web Key Set ({{\"keys\": [...]}}): {reason}")]
    BadJwks {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The JWKS file has no RS256 or ES256 signing key.
    #[error("{path} has no usable signing key (RSA for RS256, EC P-256 for ES256)")]
    NoUsableKey {
        /// The file.
        path: PathBuf,
    },
    /// The users file cannot be parsed.
    #[error("{path} is not a users file: {reason}")]
    BadUsers {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A user entry is not valid.
    #[error("user `{name}`: {reason}")]
    BadUser {
        /// The user.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// A password could not be hashed.
    #[error("cannot hash the password: {0}")]
    Hash(String),
    /// A token could not be signed.
    #[error("cannot sign a token: {0}")]
    Sign(String),
}

/// Why TLS cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// Only one of the certificate and the key was given.
    #[error("TLS needs both --tls-cert FILE and --tls-key FILE (only {given} was given)")]
    Incomplete {
        /// The flag that was given.
        given: &'static str,
    },
    /// A PEM file cannot be read or holds nothing usable.
    #[error("{what} {path}: {reason}")]
    Pem {
        /// `certificate file` or `key file`.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// rustls refused the certificate and key.
    #[error("the certificate {cert} and key {key} cannot be used: {reason}")]
    Config {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// Why.
        reason: String,
    },
}

/// A principal over its rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("rate limit exceeded: retry in {} s", retry_after_secs(*.retry_after))]
pub struct RateLimited {
    /// How long until the next request is allowed.
    pub retry_after: std::time::Duration,
}

impl RateLimited {
    /// Whole seconds to wait (at least 1), for `Retry-After`.
    pub fn retry_after_secs(&self) -> u64 {
        retry_after_secs(self.retry_after)
    }
}

fn retry_after_secs(wait: std::time::Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}
