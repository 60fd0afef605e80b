//! Reaching the server: the connection URL, TLS as `sslmode` asks, and the connection pool.
//!
//! `sslmode` keeps libpq's meaning:
//! - `disable`: plain TCP;
//! - `prefer` (the default) and `require`: TLS (falling back to plain TCP with `prefer` when
//!   the server has no TLS), encrypted but the certificate is not checked;
//! - `verify-ca`: TLS, the certificate must chain to a trusted root;
//! - `verify-full`: as `verify-ca`, and the certificate must name the host.
//!
//! Trusted roots are the Mozilla set bundled by `webpki-roots`, or the PEM file named by
//! `sslrootcert` in the URL.

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, QueueMode, RecyclingMethod, Runtime};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::core::config::PostgresConfig;
use crate::core::error::{AdapterError, Result};

/// What TLS a connection uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// `sslmode=disable`.
    Disable,
    /// `sslmode=prefer`.
    Prefer,
    /// `sslmode=require`.
    Require,
    /// `sslmode=verify-ca`.
    VerifyCa,
    /// `sslmode=verify-full`.
    VerifyFull,
}

/// A connection URL split into what tokio-postgres reads and what this module handles itself.
#[derive(Debug)]
pub struct Target {
    /// Host, port, user, password, database and the other libpq options.
    pub config: tokio_postgres::Config,
    /// The TLS mode.
    pub tls: Tls,
    /// `sslrootcert`: a PEM file of trusted roots.
    pub root_cert: Option<String>,
}

/// Decodes `%XX` escapes of a URL query value.
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(hi * 16 + lo);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses `config.url`; errors name the field and never echo the password.
pub fn parse(url: &str) -> Result<Target> {
    let invalid = |what: String| AdapterError::invalid("config.url", what);
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut tls = Tls::Prefer;
    let mut root_cert = None;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "sslmode" => {
                tls = match percent_decode(value).as_str() {
                    "disable" | "allow" => Tls::Disable,
                    "prefer" => Tls::Prefer,
                    "require" => Tls::Require,
                    "verify-ca" => Tls::VerifyCa,
                    "verify-full" => Tls::VerifyFull,
                    other => {
                        return Err(invalid(format!(
                            "has sslmode={other:?}; expected disable, prefer, require, verify-ca or verify-full"
                        )))
                    }
                }
            }
            "sslrootcert" => root_cert = Some(percent_decode(value)),
            _ => kept.push(pair),
        }
    }
    let rest = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    let mut config: tokio_postgres::Config = rest.parse().map_err(|e| {
        invalid(format!(
            "is not a valid PostgreSQL connection URL ({e}); expected postgres://user:password@host:port/database"
        ))
    })?;
    if config.get_hosts().is_empty() {
        return Err(invalid("names no host".into()));
    }
    if config.get_application_name().is_none() {
        config.application_name("authjs-rust-adapter");
    }
    config.ssl_mode(match tls {
        Tls::Disable => SslMode::Disable,
        Tls::Prefer => SslMode::Prefer,
        _ => SslMode::Require,
    });
    Ok(Target {
        config,
        tls,
        root_cert,
    })
}

/// The crypto provider of every TLS connection (ring: no C toolchain beyond a C compiler).
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Accepts any certificate, but still checks that the server holds its key
/// (`sslmode=prefer|require`: encryption without authentication, as in libpq).
#[derive(Debug)]
struct EncryptOnly(Arc<CryptoProvider>);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Checks the chain but not the host name (`sslmode=verify-ca`).
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// The trusted roots: the `sslrootcert` file, or the bundled Mozilla set.
fn roots(root_cert: Option<&str>) -> Result<RootCertStore> {
    let mut store = RootCertStore::empty();
    match root_cert {
        Some(path) => {
            let invalid = |e: String| {
                AdapterError::invalid(
                    "config.url",
                    format!("has sslrootcert={path:?}, which cannot be used: {e}"),
                )
            };
            for cert in CertificateDer::pem_file_iter(path).map_err(|e| invalid(e.to_string()))? {
                store
                    .add(cert.map_err(|e| invalid(e.to_string()))?)
                    .map_err(|e| invalid(e.to_string()))?;
            }
            if store.is_empty() {
                return Err(invalid("the file holds no certificate".into()));
            }
        }
        None => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    Ok(store)
}

/// The rustls client configuration for `target`.
fn tls_config(target: &Target) -> Result<ClientConfig> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| AdapterError::invalid("config.url", format!("TLS setup failed: {e}")))?;
    let config = match target.tls {
        Tls::Disable | Tls::Prefer | Tls::Require => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(EncryptOnly(provider)))
            .with_no_client_auth(),
        Tls::VerifyFull => builder
            .with_root_certificates(roots(target.root_cert.as_deref())?)
            .with_no_client_auth(),
        Tls::VerifyCa => {
            let verifier = WebPkiServerVerifier::builder_with_provider(
                Arc::new(roots(target.root_cert.as_deref())?),
                provider,
            )
            .build()
            .map_err(|e| AdapterError::invalid("config.url", format!("TLS setup failed: {e}")))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(ChainOnly(verifier)))
                .with_no_client_auth()
        }
    };
    Ok(config)
}

/// What a pool connects with: also used to open a connection outside the pool (a replica's
/// listening connection).
pub struct Connector {
    /// The parsed URL, with timeouts set.
    pub config: tokio_postgres::Config,
    /// TLS as `sslmode` asks.
    pub tls: MakeRustlsConnect,
}

/// A pool of at most `pool_size` connections. Connections open on first use; a call waits at
/// most `timeout` for a connection (including opening one), then fails with `DB_UNAVAILABLE`.
/// A connection the server dropped (restart, failover) is discarded on its way back into the
/// pool, and the next call opens a new one.
///
/// A call takes the connection most recently put back (last in, first out), as node-postgres's
/// pool does: calls made one after another then all land on one connection, the one whose
/// server process was just awake. First in, first out (deadpool's default) handed sequential
/// calls each to the next of the pool's connections in turn once a burst had opened them all,
/// waking a different server process every time: two thirds of the calls per second at 1.2x
/// the CPU per call (see docs/performance.md, "PostgreSQL: sequential calls").
pub fn pool(config: &PostgresConfig, timeout: Duration) -> Result<(Pool, Connector)> {
    let mut target = parse(&config.url)?;
    target.config.connect_timeout(timeout);
    target.config.keepalives(true);
    let tls = MakeRustlsConnect::new(tls_config(&target)?);
    let connector = Connector {
        config: target.config.clone(),
        tls: tls.clone(),
    };
    let manager = Manager::from_config(
        target.config,
        tls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(config.pool_size as usize)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(timeout))
        .create_timeout(Some(timeout))
        .recycle_timeout(Some(timeout))
        .queue_mode(QueueMode::Lifo)
        .build()
        .map(|pool| (pool, connector))
        .map_err(|e| AdapterError::invalid("config.url", format!("cannot build the pool: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmode_is_read_and_removed_before_the_driver_sees_it() {
        let t =
            parse("postgres://u:p@db.example.com:5433/app?sslmode=verify-full&connect_timeout=3")
                .unwrap();
        assert_eq!(t.tls, Tls::VerifyFull);
        assert_eq!(t.config.get_dbname(), Some("app"));
        assert_eq!(t.config.get_ports(), &[5433]);
        assert_eq!(t.config.get_ssl_mode(), SslMode::Require);
    }

    #[test]
    fn the_default_is_prefer_as_in_libpq() {
        let t = parse("postgresql://localhost/app").unwrap();
        assert_eq!(t.tls, Tls::Prefer);
        assert_eq!(t.config.get_application_name(), Some("authjs-rust-adapter"));
    }

    #[test]
    fn an_unknown_sslmode_is_refused_by_name() {
        let e = parse("postgres://localhost/app?sslmode=sometimes").unwrap_err();
        assert!(e.to_string().contains("config.url"), "{e}");
        assert!(e.to_string().contains("sslmode"), "{e}");
    }

    #[test]
    fn a_bad_url_error_does_not_echo_the_password() {
        let e = parse("postgres://user:hunter2@localhost:notaport/app").unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }

    #[test]
    fn sslrootcert_is_percent_decoded() {
        let t = parse("postgres://localhost/app?sslmode=verify-ca&sslrootcert=%2Ftmp%2Fca.pem")
            .unwrap();
        assert_eq!(t.root_cert.as_deref(), Some("/tmp/ca.pem"));
    }
}
