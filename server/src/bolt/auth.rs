//! Authentication of Bolt connections: `HELLO` (Bolt 4.4 and 5.0) or
//! `LOGON` (5.1+) hand the client's auth map to an [`Authenticator`].
//!
//! `serve` uses [`AuthConfig`]: scheme `bearer` takes a token (the same
//! JWTs as HTTP), scheme `basic` a user of the users file and its
//! password; anything else is refused with
//! `Neo.ClientError.Security.Unauthorized`. [`AcceptAll`], the default of
//! [`super::BoltSettings`], is for embedding and tests only: it lets in
//! `none` and `basic` with any credentials, as an admin.

use crate::auth::{AuthConfig, AuthError, Principal};

use super::packstream::PackValue;

/// The auth fields of `HELLO` or `LOGON`.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthRequest {
    /// `none`, `basic`, `bearer`, `kerberos`, ...
    pub scheme: String,
    /// The user name (`basic`).
    pub principal: Option<String>,
    /// The password or token.
    pub credentials: Option<String>,
}

impl std::fmt::Debug for AuthRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthRequest")
            .field("scheme", &self.scheme)
            .field("principal", &self.principal)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|_| "<hidden>"),
            )
            .finish()
    }
}

impl AuthRequest {
    /// Reads the auth fields of a map; a missing scheme is `none`.
    pub fn from_map(map: &PackValue) -> AuthRequest {
        let text = |key| map.get(key).and_then(PackValue::as_str).map(str::to_owned);
        AuthRequest {
            scheme: text("scheme").unwrap_or_else(|| "none".to_owned()),
            principal: text("principal"),
            credentials: text("credentials"),
        }
    }
}

/// Who a connection is logged in as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthUser {
    /// The user name (`None` for scheme `none`).
    pub name: Option<String>,
    /// What the session may do: the session keeps it (see
    /// [`super::session::Session::principal`]).
    pub principal: Principal,
}

/// Why credentials were refused (the text goes to the client).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AuthRefused(pub String);

impl From<AuthError> for AuthRefused {
    fn from(error: AuthError) -> AuthRefused {
        AuthRefused(error.to_string())
    }
}

/// Decides whether a client may log in.
pub trait Authenticator: Send + Sync {
    /// Checks the credentials of `HELLO` or `LOGON`.
    fn authenticate(&self, request: &AuthRequest) -> Result<AuthUser, AuthRefused>;
}

/// For embedding and tests only: lets in schemes `none` and `basic` with
/// any credentials, as [`Principal::embedded`] (an admin); refuses the
/// others, which would promise checks it does not make.
#[derive(Clone, Copy, Debug, Default)]
pub struct AcceptAll;

impl Authenticator for AcceptAll {
    fn authenticate(&self, request: &AuthRequest) -> Result<AuthUser, AuthRefused> {
        match request.scheme.as_str() {
            "none" => Ok(AuthUser {
                name: None,
                principal: Principal::embedded(),
            }),
            "basic" => Ok(AuthUser {
                name: request.principal.clone(),
                principal: Principal::embedded(),
            }),
            other => Err(AuthRefused(format!(
                "Unsupported authentication scheme `{other}`: use `none` or `basic`"
            ))),
        }
    }
}

/// The server's authentication: `bearer` tokens and `basic` users.
impl Authenticator for AuthConfig {
    fn authenticate(&self, request: &AuthRequest) -> Result<AuthUser, AuthRefused> {
        let principal = match request.scheme.as_str() {
            "bearer" => match request.credentials.as_deref() {
                Some(token) if !token.is_empty() => self.verify_token(token)?,
                _ => return Err(AuthError::Missing.into()),
            },
            "basic" => {
                let name = request.principal.as_deref().unwrap_or("");
                let password = request.credentials.as_deref().unwrap_or("");
                self.verify_password(name, password)?
            }
            "none" if !self.is_enforced() => Principal::embedded(),
            "none" => return Err(AuthError::Missing.into()),
            other => {
                return Err(AuthError::UnsupportedScheme {
                    scheme: other.to_owned(),
                }
                .into())
            }
        };
        Ok(AuthUser {
            name: Some(principal.sub.clone()),
            principal,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_all_takes_none_and_basic_only() {
        let map = |scheme: &str| {
            PackValue::Map(vec![
                ("scheme".into(), PackValue::String(scheme.into())),
                ("principal".into(), PackValue::String("ann".into())),
                ("credentials".into(), PackValue::String("secret".into())),
            ])
        };
        let basic = AuthRequest::from_map(&map("basic"));
        assert_eq!(
            AcceptAll.authenticate(&basic),
            Ok(AuthUser {
                name: Some("ann".into()),
                principal: Principal::embedded(),
            })
        );
        assert!(!format!("{basic:?}").contains("secret"));
        assert_eq!(
            AcceptAll.authenticate(&AuthRequest::from_map(&PackValue::Map(Vec::new()))),
            Ok(AuthUser {
                name: None,
                principal: Principal::embedded(),
            })
        );
        assert!(AcceptAll
            .authenticate(&AuthRequest::from_map(&map("bearer")))
            .is_err());
    }
}
