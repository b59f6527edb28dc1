//! A real network in front of the simulator, on 127.0.0.1: a TLS front
//! with a CA made in the test (so the three APIs are served over https://
//! and wss://), and an HTTP CONNECT proxy with credentials that records
//! what it was asked for.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
    date_time_ymd,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A certificate authority made for one test.
pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// What is wrong with a server's certificate, if anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertFlaw {
    None,
    Expired,
    /// Issued for another host name than the one dialled.
    OtherHost,
}

impl TestCa {
    pub fn new() -> TestCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params
            .distinguished_name
            .push(DnType::CommonName, "misar-dash test CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().expect("a CA key");
        TestCa {
            issuer: CertifiedIssuer::self_signed(params, key).expect("a CA certificate"),
        }
    }

    /// The CA certificate as PEM: what `ca_file` or `SSL_CERT_FILE` names.
    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// Writes the CA's PEM into `dir` and returns its path.
    pub fn write_pem(&self, dir: &std::path::Path) -> std::path::PathBuf {
        let path = dir.join("test-ca.pem");
        std::fs::write(&path, self.pem()).expect("write the CA file");
        path
    }

    /// A server certificate for 127.0.0.1 and localhost, signed by this CA.
    fn server_cert(
        &self,
        flaw: CertFlaw,
    ) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
        let names = match flaw {
            CertFlaw::OtherHost => vec!["api.elsewhere.example".to_string()],
            _ => vec!["localhost".to_string(), "127.0.0.1".to_string()],
        };
        let mut params = CertificateParams::new(names).expect("server params");
        if flaw == CertFlaw::Expired {
            params.not_before = date_time_ymd(2020, 1, 1);
            params.not_after = date_time_ymd(2021, 1, 1);
        }
        let key = KeyPair::generate().expect("a server key");
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("a server certificate");
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        (vec![cert.der().clone()], key)
    }
}

/// Serves TLS on a new port of 127.0.0.1 and pipes each connection's
/// plain bytes to `backend`: the simulator, now behind https:// and
/// wss://. Returns the front's address.
pub async fn tls_front(ca: &TestCa, flaw: CertFlaw, backend: SocketAddr) -> SocketAddr {
    misar_dash::upstream::tls::install_crypto_provider();
    let (certs, key) = ca.server_cert(flaw);
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("a server TLS config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut plain) = TcpStream::connect(backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    addr
}

/// What a [`ConnectProxy`] was asked for.
#[derive(Clone, Debug, Default)]
pub struct ProxyLog {
    /// Each request's first line (`CONNECT host:port HTTP/1.1`).
    pub requests: Vec<String>,
    /// Each `Proxy-Authorization` header value received, as sent.
    pub authorizations: Vec<String>,
    /// Tunnels opened.
    pub tunnels: usize,
}

/// An HTTP CONNECT proxy on 127.0.0.1 that wants `user:password` (Basic).
pub struct ConnectProxy {
    pub addr: SocketAddr,
    log: Arc<Mutex<ProxyLog>>,
}

/// How the standard proxy refuses credentials.
const REFUSAL_407: &str = "407 Proxy Authentication Required";

impl ConnectProxy {
    pub async fn start(user: &str, password: &str) -> ConnectProxy {
        ConnectProxy::refusing_with(user, password, REFUSAL_407).await
    }

    /// A proxy that refuses wrong credentials with `refusal` (a status
    /// code and reason): tinyproxy, for one, answers `401 Unauthorized`.
    pub async fn refusing_with(user: &str, password: &str, refusal: &'static str) -> ConnectProxy {
        use base64::Engine as _;
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("an address");
        let log = Arc::new(Mutex::new(ProxyLog::default()));
        let shared = log.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let expected = expected.clone();
                let log = shared.clone();
                tokio::spawn(async move { serve_one(client, &expected, refusal, &log).await });
            }
        });
        ConnectProxy { addr, log }
    }

    /// `http://user:password@127.0.0.1:port`.
    pub fn url(&self, user: &str, password: &str) -> String {
        format!("http://{user}:{password}@{}", self.addr)
    }

    pub fn log(&self) -> ProxyLog {
        self.log.lock().expect("the proxy log").clone()
    }
}

async fn serve_one(mut client: TcpStream, expected: &str, refusal: &str, log: &Mutex<ProxyLog>) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match client.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head).to_string();
    let first = head.lines().next().unwrap_or_default().to_string();
    let auth = super::header_value(&head, "proxy-authorization");
    {
        let mut log = log.lock().expect("the proxy log");
        log.requests.push(first.clone());
        if let Some(a) = &auth {
            log.authorizations.push(a.clone());
        }
    }
    let mut parts = first.split_whitespace();
    let (Some("CONNECT"), Some(target)) = (parts.next(), parts.next()) else {
        let _ = client
            .write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            .await;
        return;
    };
    if auth.as_deref() != Some(expected) {
        let answer = format!(
            "HTTP/1.1 {refusal}\r\nProxy-Authenticate: Basic realm=\"test\"\r\n\
             Content-Length: 0\r\n\r\n"
        );
        let _ = client.write_all(answer.as_bytes()).await;
        return;
    }
    let Ok(mut upstream) = TcpStream::connect(target).await else {
        let _ = client
            .write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            .await;
        return;
    };
    if client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await
        .is_err()
    {
        return;
    }
    log.lock().expect("the proxy log").tunnels += 1;
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
}
