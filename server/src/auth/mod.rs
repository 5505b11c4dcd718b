//! Who is asking: bearer tokens (JWT), the users file of Bolt's basic
//! scheme, roles, per-principal rate limits and the TLS set-up. Free of
//! actix and of the Bolt protocol: `crate::http::auth` and
//! `crate::bolt::auth` use it.
//!
//! Every verified request carries a [`Principal`]: the subject, its
//! [`Role`], the organizations a clinician may see, and for a `service`
//! token the role it acts with (its `scope`). [`Principal::effective_role`]
//! is the role access rules go by.

pub mod error;
pub mod jwt;
pub mod ratelimit;
pub mod tls;
pub mod users;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use self::error::{AuthError, ConfigError, RateLimited, TlsError};
pub use self::jwt::TokenVerifier;
pub use self::ratelimit::RateLimiter;
pub use self::users::Users;

/// What a principal may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything.
    Admin,
    /// Read and write, limited to the organizations named in the token.
    Clinician,
    /// Read only, de-identified.
    Analyst,
    /// A frontend: acts with the role its `scope` claim names (see
    /// [`Principal::effective_role`]).
    Service,
}

impl Role {
    /// The name used in tokens and files.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Clinician => "clinician",
            Role::Analyst => "analyst",
            Role::Service => "service",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = AuthError;

    fn from_str(text: &str) -> Result<Role, AuthError> {
        match text {
            "admin" => Ok(Role::Admin),
            "clinician" => Ok(Role::Clinician),
            "analyst" => Ok(Role::Analyst),
            "service" => Ok(Role::Service),
            other => Err(AuthError::UnknownRole {
                role: other.to_owned(),
            }),
        }
    }
}

/// Who a request or a Bolt session runs as.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// The subject (`sub` of the token, or the user name).
    pub sub: String,
    /// The role the token or user names.
    pub role: Role,
    /// Organization ids a clinician (or a service acting as one) is limited
    /// to; empty for the other roles.
    pub orgs: Vec<String>,
    /// A service token's scope: `admin`, `clinician` or `analyst` (the role
    /// it acts with); `None` for the other roles, and for a service token
    /// without one (it then acts as an analyst).
    pub scope: Option<String>,
}

impl Principal {
    /// A checked principal: a clinician needs `orgs`; a service's `scope`
    /// must be `admin`, `clinician` (which then needs `orgs`) or `analyst`.
    pub fn new(
        sub: impl Into<String>,
        role: Role,
        orgs: Vec<String>,
        scope: Option<String>,
    ) -> Result<Principal, AuthError> {
        let principal = Principal {
            sub: sub.into(),
            role,
            orgs,
            scope,
        };
        if let (Role::Service, Some(scope)) = (role, &principal.scope) {
            match scope.parse::<Role>() {
                Ok(Role::Service) | Err(_) => {
                    return Err(AuthError::UnknownScope {
                        scope: scope.clone(),
                    })
                }
                Ok(_) => {}
            }
        }
        if principal.effective_role() == Role::Clinician && principal.orgs.is_empty() {
            return Err(AuthError::MissingOrgs);
        }
        Ok(principal)
    }

    /// The principal every request runs as when authentication is
    /// disabled ([`AuthConfig::disabled`]): an admin.
    pub fn embedded() -> Principal {
        Principal {
            sub: "embedded".to_owned(),
            role: Role::Admin,
            orgs: Vec::new(),
            scope: None,
        }
    }

    /// The role access rules go by, never [`Role::Service`]: a service acts
    /// with the role its `scope` names, and as an analyst (least
    /// privilege) without a scope or with one that names no role.
    pub fn effective_role(&self) -> Role {
        match self.role {
            Role::Service => match self.scope.as_deref().map(str::parse::<Role>) {
                Some(Ok(role @ (Role::Admin | Role::Clinician))) => role,
                _ => Role::Analyst,
            },
            role => role,
        }
    }
}

/// A secret (the HS256 key, a password, a token) that never shows in logs
/// or `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(text: impl Into<String>) -> Secret {
        Secret(text.into())
    }

    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<hidden>")
    }
}

impl FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Secret, Self::Err> {
        Ok(Secret(text.to_owned()))
    }
}

/// The token of an `Authorization` header value: `Bearer <token>` (the
/// scheme in any case).
pub fn bearer_token(header: Option<&str>) -> Result<&str, AuthError> {
    let header = header.map(str::trim).filter(|h| !h.is_empty());
    let Some(header) = header else {
        return Err(AuthError::Missing);
    };
    if header.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::Missing);
    }
    match header.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
            let token = token.trim();
            if token.is_empty() {
                Err(AuthError::Missing)
            } else {
                Ok(token)
            }
        }
        _ => Err(AuthError::NotBearer),
    }
}

enum Mode {
    /// Every request runs as [`Principal::embedded`].
    Disabled,
    /// Credentials are checked.
    Enforced {
        tokens: Option<TokenVerifier>,
        users: Option<Users>,
    },
}

/// How the server authenticates: the token verifier, the users file and
/// the rate limiter, shared by HTTP and Bolt.
pub struct AuthConfig {
    mode: Mode,
    limiter: Arc<RateLimiter>,
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.mode {
            Mode::Disabled => f.write_str("AuthConfig::Disabled"),
            Mode::Enforced { tokens, users } => f
                .debug_struct("AuthConfig")
                .field("tokens", tokens)
                .field("users", users)
                .field("limiter", &self.limiter)
                .finish(),
        }
    }
}

impl AuthConfig {
    /// Checks credentials: bearer tokens with `tokens`, Bolt's basic
    /// scheme with `users`. At least one must be given.
    pub fn new(
        tokens: Option<TokenVerifier>,
        users: Option<Users>,
        limiter: RateLimiter,
    ) -> Result<AuthConfig, ConfigError> {
        if tokens.is_none() && users.is_none() {
            return Err(ConfigError::NoMethod);
        }
        Ok(AuthConfig {
            mode: Mode::Enforced { tokens, users },
            limiter: Arc::new(limiter),
        })
    }

    /// NO authentication, for embedding the server in a process (and for
    /// tests of other features): every request and Bolt session runs as
    /// [`Principal::embedded`], an admin, without credentials and without
    /// rate limits. The command line never builds this.
    pub fn disabled() -> AuthConfig {
        AuthConfig {
            mode: Mode::Disabled,
            limiter: Arc::new(RateLimiter::disabled()),
        }
    }

    /// `false` for [`AuthConfig::disabled`].
    pub fn is_enforced(&self) -> bool {
        matches!(self.mode, Mode::Enforced { .. })
    }

    /// The per-principal rate limiter.
    pub fn limiter(&self) -> &Arc<RateLimiter> {
        &self.limiter
    }

    /// The principal of a bearer token.
    pub fn verify_token(&self, token: &str) -> Result<Principal, AuthError> {
        match &self.mode {
            Mode::Disabled => Ok(Principal::embedded()),
            Mode::Enforced {
                tokens: Some(tokens),
                ..
            } => tokens.verify(token),
            Mode::Enforced { tokens: None, .. } => Err(AuthError::NotConfigured {
                scheme: "bearer",
                hint: "this server has a users file only (Bolt basic authentication)",
            }),
        }
    }

    /// The principal of an `Authorization` header value (`None`: no
    /// header).
    pub fn verify_header(&self, header: Option<&str>) -> Result<Principal, AuthError> {
        if !self.is_enforced() {
            return Ok(Principal::embedded());
        }
        self.verify_token(bearer_token(header)?)
    }

    /// The principal of a user name and password (Bolt's basic scheme).
    pub fn verify_password(&self, name: &str, password: &str) -> Result<Principal, AuthError> {
        match &self.mode {
            Mode::Disabled => Ok(Principal::embedded()),
            Mode::Enforced {
                users: Some(users), ..
            } => users.verify(name, password),
            Mode::Enforced { users: None, .. } => Err(AuthError::NotConfigured {
                scheme: "basic",
                hint: "send a token with the `bearer` scheme",
            }),
        }
    }

    /// Counts one request of `principal` against its rate limit.
    pub fn check_rate(&self, principal: &Principal) -> Result<(), RateLimited> {
        self.limiter.check(&principal.sub)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_and_print_lowercase() {
        for role in [Role::Admin, Role::Clinician, Role::Analyst, Role::Service] {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            assert_eq!(
                serde_json::to_string(&role).expect("json"),
                format!("\"{role}\"")
            );
        }
        assert_eq!(
            "root".parse::<Role>(),
            Err(AuthError::UnknownRole {
                role: "root".into()
            })
        );
    }

    #[test]
    fn service_principals_act_with_their_scope() {
        let service = |scope: Option<&str>, orgs: &[&str]| {
            Principal::new(
                "frontend",
                Role::Service,
                orgs.iter().map(|o| (*o).to_owned()).collect(),
                scope.map(str::to_owned),
            )
        };
        assert_eq!(
            service(None, &[]).map(|p| p.effective_role()),
            Ok(Role::Analyst)
        );
        assert_eq!(
            service(Some("analyst"), &[]).map(|p| p.effective_role()),
            Ok(Role::Analyst)
        );
        assert_eq!(
            service(Some("admin"), &[]).map(|p| p.effective_role()),
            Ok(Role::Admin)
        );
        assert_eq!(
            service(Some("clinician"), &["o1"]).map(|p| p.effective_role()),
            Ok(Role::Clinician)
        );
        assert_eq!(service(Some("clinician"), &[]), Err(AuthError::MissingOrgs));
        assert_eq!(
            service(Some("service"), &[]),
            Err(AuthError::UnknownScope {
                scope: "service".into()
            })
        );
        assert_eq!(
            Principal::new("c", Role::Clinician, Vec::new(), None),
            Err(AuthError::MissingOrgs)
        );
        // A hand-made principal with a bad scope still never acts above an
        // analyst.
        let odd = Principal {
            sub: "x".into(),
            role: Role::Service,
            orgs: Vec::new(),
            scope: Some("root".into()),
        };
        assert_eq!(odd.effective_role(), Role::Analyst);
    }

    #[test]
    fn bearer_headers_are_read_strictly() {
        assert_eq!(bearer_token(Some("Bearer abc")), Ok("abc"));
        assert_eq!(bearer_token(Some("bearer  abc ")), Ok("abc"));
        assert_eq!(bearer_token(None), Err(AuthError::Missing));
        assert_eq!(bearer_token(Some("Bearer ")), Err(AuthError::Missing));
        assert_eq!(
            bearer_token(Some("Basic dXNlcjpwdw==")),
            Err(AuthError::NotBearer)
        );
        assert_eq!(bearer_token(Some("abc")), Err(AuthError::NotBearer));
    }

    #[test]
    fn secrets_do_not_show_in_debug_output() {
        let secret: Secret = "s3cret-value".parse().expect("infallible");
        assert_eq!(format!("{secret:?}"), "<hidden>");
        assert_eq!(secret.expose(), "s3cret-value");
    }

    #[test]
    fn a_config_needs_a_method_and_disabled_runs_as_admin() {
        assert!(matches!(
            AuthConfig::new(None, None, RateLimiter::disabled()),
            Err(ConfigError::NoMethod)
        ));
        let disabled = AuthConfig::disabled();
        assert!(!disabled.is_enforced());
        assert_eq!(disabled.verify_header(None), Ok(Principal::embedded()));
        assert_eq!(Principal::embedded().effective_role(), Role::Admin);
    }
}
