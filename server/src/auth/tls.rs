//! TLS for HTTP and Bolt: a certificate chain and a private key in PEM
//! files (`--tls-cert`, `--tls-key`), served with rustls on the `ring`
//! crypto provider (it builds without system packages).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::error::TlsError;

/// The certificate and key files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain (PEM, the server's certificate first).
    pub cert: PathBuf,
    /// The private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

impl TlsFiles {
    /// Both flags or neither.
    pub fn from_flags(
        cert: Option<PathBuf>,
        key: Option<PathBuf>,
    ) -> Result<Option<TlsFiles>, TlsError> {
        match (cert, key) {
            (Some(cert), Some(key)) => Ok(Some(TlsFiles { cert, key })),
            (None, None) => Ok(None),
            (Some(_), None) => Err(TlsError::Incomplete {
                given: "--tls-cert",
            }),
            (None, Some(_)) => Err(TlsError::Incomplete { given: "--tls-key" }),
        }
    }

    /// A server configuration for these files (no ALPN: HTTP adds its
    /// own).
    pub fn server_config(&self) -> Result<rustls::ServerConfig, TlsError> {
        server_config(&self.cert, &self.key)
    }
}

/// The crypto provider of every TLS configuration here.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A rustls server configuration from PEM files.
pub fn server_config(cert: &Path, key: &Path) -> Result<rustls::ServerConfig, TlsError> {
    let pem_error = |what: &'static str, path: &Path, reason: String| TlsError::Pem {
        what,
        path: path.to_owned(),
        reason,
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| pem_error("certificate file", cert, e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| pem_error("certificate file", cert, e.to_string()))?;
    if chain.is_empty() {
        return Err(pem_error(
            "certificate file",
            cert,
            "no CERTIFICATE in it".into(),
        ));
    }
    let private_key = PrivateKeyDer::from_pem_file(key).map_err(|e| {
        pem_error(
            "key file",
            key,
            match e {
                rustls::pki_types::pem::Error::NoItemsFound => "no PRIVATE KEY in it".into(),
                other => other.to_string(),
            },
        )
    })?;
    let config_error = |reason: String| TlsError::Config {
        cert: cert.to_owned(),
        key: key.to_owned(),
        reason,
    };
    rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| config_error(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, private_key)
        .map_err(|e| config_error(e.to_string()))
}
