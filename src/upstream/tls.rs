//! The one TLS setup every client shares, and what a TLS failure means.
//!
//! rustls with the platform verifier: the OS trust store (which honours
//! `SSL_CERT_FILE` and `SSL_CERT_DIR`), plus the roots of the config's
//! `ca_file` for users who cannot touch the system store. There is no way
//! to turn verification off.

use std::path::Path;
use std::sync::Arc;

use color_eyre::eyre::{Context, Result, bail, eyre};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls::{CertificateError, ClientConfig};

use super::StopReason;

/// The client config for every connection: the platform's roots and those
/// of `ca_file`. No ALPN: each client sets what it speaks.
pub fn client_config(ca_file: Option<&Path>) -> Result<ClientConfig> {
    install_crypto_provider();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let extra = match ca_file {
        Some(path) => read_ca_file(path)?,
        None => Vec::new(),
    };
    let verifier =
        rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider.clone()).map_err(
            |e| {
                eyre!(
                    "could not load the trust store: {e} (install the system's CA \
                     certificates, or name a PEM file with ca_file in the config)"
                )
            },
        )?;
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .wrap_err("could not set up TLS")?
        .dangerous()
        // Not a way around verification: the platform verifier is the
        // verifying one, built above.
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(config)
}

/// The certificates of a PEM file (one or more).
fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let text = std::fs::read(path)
        .wrap_err_with(|| format!("could not read ca_file {}", path.display()))?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&text)
        .collect::<Result<_, _>>()
        .map_err(|e| eyre!("ca_file {} is not valid PEM: {e:?}", path.display()))?;
    if certs.is_empty() {
        bail!(
            "ca_file {} holds no certificate (expected PEM blocks of BEGIN CERTIFICATE)",
            path.display()
        );
    }
    Ok(certs)
}

/// The rustls error somewhere in `e`'s chain of causes, if TLS is what
/// failed. An `io::Error` hides the error it wraps from `source()`, so
/// each link is looked into as well.
pub fn find_rustls_error<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a rustls::Error> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = next {
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        next = match err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner),
            None => err.source(),
        };
    }
    None
}

/// What a TLS failure with `host` means. Every TLS failure is a stop: a
/// certificate that is not trusted today will not be trusted on the next
/// attempt, and redialling would only hide why.
pub fn tls_stop(host: &str, e: &rustls::Error) -> StopReason {
    const TRUST: &str = "trust its CA with ca_file in the config, or SSL_CERT_FILE";
    let detail = match e {
        rustls::Error::InvalidCertificate(cert) => match cert {
            CertificateError::UnknownIssuer => {
                format!("the certificate of {host} is signed by an unknown CA ({TRUST})")
            }
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                format!("the certificate of {host} has expired (the server must renew it)")
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                format!("the certificate of {host} is not valid yet (check this machine's clock)")
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                format!(
                    "the certificate of {host} is for another host name (use the name \
                     the certificate is for in the URL)"
                )
            }
            CertificateError::Revoked => format!("the certificate of {host} has been revoked"),
            other => format!("the certificate of {host} is not trusted: {other:?} ({TRUST})"),
        },
        other => format!("TLS with {host} failed: {other}"),
    };
    StopReason::Tls { detail }
}

/// rustls needs one process-wide crypto provider; ring is the one built in.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrapped_tls_error_is_found_in_the_chain() {
        let tls = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, tls.clone());
        assert_eq!(find_rustls_error(&io), Some(&tls));
        // As hyper-util hands it on: an io::Error around tokio-rustls's.
        let twice = std::io::Error::other(io);
        assert_eq!(find_rustls_error(&twice), Some(&tls));
        let plain = std::io::Error::other("refused");
        assert_eq!(find_rustls_error(&plain), None);
    }

    #[test]
    fn each_certificate_failure_names_the_host_and_the_fix() {
        let detail = |e: CertificateError| match tls_stop("api.example:443", &e.into()) {
            StopReason::Tls { detail } => detail,
            other => panic!("{other:?}"),
        };
        let unknown = detail(CertificateError::UnknownIssuer);
        assert!(unknown.contains("api.example:443"), "{unknown}");
        assert!(unknown.contains("ca_file") && unknown.contains("SSL_CERT_FILE"));
        assert!(detail(CertificateError::Expired).contains("expired"));
        assert!(detail(CertificateError::NotValidForName).contains("another host name"));
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused() {
        let dir = std::env::temp_dir().join(format!("misar-dash-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ca.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        let err = client_config(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("holds no certificate"), "{err}");
        let err = client_config(Some(&dir.join("missing.pem")))
            .unwrap_err()
            .to_string();
        assert!(err.contains("could not read ca_file"), "{err}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
