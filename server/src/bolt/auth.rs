//! Authentication of Bolt connections: `HELLO` (Bolt 4.4 and 5.0) or
//! `LOGON` (5.1+) hand the client's auth map to an [`Authenticator`].
//!
//! The server has no users yet: [`AcceptAll`] lets in the `none` and
//! `basic` schemes with any credentials. An authenticator with real users
//! plugs in through [`super::BoltSettings::authenticator`].

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
}

/// Why credentials were refused (the text goes to the client).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AuthRefused(pub String);

/// Decides whether a client may log in.
pub trait Authenticator: Send + Sync {
    /// Checks the credentials of `HELLO` or `LOGON`.
    fn authenticate(&self, request: &AuthRequest) -> Result<AuthUser, AuthRefused>;
}

/// Lets in schemes `none` and `basic` with any credentials; refuses the
/// others, which would promise checks this server does not make.
#[derive(Clone, Copy, Debug, Default)]
pub struct AcceptAll;

impl Authenticator for AcceptAll {
    fn authenticate(&self, request: &AuthRequest) -> Result<AuthUser, AuthRefused> {
        match request.scheme.as_str() {
            "none" => Ok(AuthUser { name: None }),
            "basic" => Ok(AuthUser {
                name: request.principal.clone(),
            }),
            other => Err(AuthRefused(format!(
                "Unsupported authentication scheme `{other}`: use `none` or `basic`"
            ))),
        }
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
                name: Some("ann".into())
            })
        );
        assert!(!format!("{basic:?}").contains("secret"));
        assert_eq!(
            AcceptAll.authenticate(&AuthRequest::from_map(&PackValue::Map(Vec::new()))),
            Ok(AuthUser { name: None })
        );
        assert!(AcceptAll
            .authenticate(&AuthRequest::from_map(&map("bearer")))
            .is_err());
    }
}
