//! `caregraph token`: signs an HS256 bearer token with the server's secret.

use std::time::Duration;

use crate::auth::jwt::{sign_hs256, Claims, MIN_SECRET_BYTES};
use crate::auth::{Principal, Role, Secret};

/// What `caregraph token` is asked for.
#[derive(Clone, Debug)]
pub struct TokenArgs {
    /// The HS256 secret (the server's `--jwt-secret`).
    pub secret: Secret,
    /// Subject.
    pub sub: String,
    /// Role.
    pub role: Role,
    /// Organization ids (clinicians).
    pub orgs: Vec<String>,
    /// The role a service acts with.
    pub scope: Option<String>,
    /// How long the token is valid.
    pub valid_for: Duration,
}

/// The signed token.
pub fn make(args: &TokenArgs) -> anyhow::Result<String> {
    anyhow::ensure!(
        args.secret.expose().len() >= MIN_SECRET_BYTES,
        "the JWT secret must be at least {MIN_SECRET_BYTES} bytes long"
    );
    let principal = Principal::new(
        args.sub.clone(),
        args.role,
        args.orgs.clone(),
        args.scope.clone(),
    )?;
    Ok(sign_hs256(
        &args.secret,
        &Claims::for_principal(&principal, args.valid_for),
    )?)
}
