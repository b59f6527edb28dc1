//! How every client reaches its server: one TLS setup, one proxy choice,
//! the timeouts wherever a server can hang us, the redirect rule, what each
//! way of failing means, and the URLs and requests the clients send.
use std::sync::Arc;
use std::time::Duration;

use color_eyre::eyre::{Context, Result};
use reqwest::Url;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::StopReason;
use super::connection::{Emitter, Next, classify_status};
use super::options::{ApiKey, ClientOptions};
use super::proxy::{Proxies, Proxy, proxy_auth_stop};
use super::tls::{find_rustls_error, tls_stop};

/// How a refused tunnel reads, before [`Network::send`] asks the proxy why.
const TUNNEL_REFUSED: &str = "refused a tunnel";

/// Same-origin redirects followed before giving up.
pub const MAX_REDIRECTS: usize = 5;

/// The network setup every client of one [`super::Upstream`] shares.
pub struct Network {
    /// For reqwest: the shared connection pool, built on `tls`.
    pub http: reqwest::Client,
    /// For the WebSocket clients (HTTP/1.1 only, as the handshake needs).
    tls: Arc<rustls::ClientConfig>,
    pub proxies: Proxies,
    pub connect_timeout: Duration,
    pub header_timeout: Duration,
}

impl Network {
    pub fn new(opts: &ClientOptions) -> Result<Network> {
        let tls = super::tls::client_config(opts.ca_file.as_deref())?;
        let proxies = Proxies::new(opts.proxy.as_deref(), opts.no_proxy.as_deref())?;
        let mut http_tls = tls.clone();
        http_tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let for_reqwest = proxies.clone();
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(http_tls)
            // Only our choice of proxy, never reqwest's own reading of the
            // environment: one rule for all clients.
            .no_proxy()
            .proxy(reqwest::Proxy::custom(move |url| {
                for_reqwest.for_url(url).map(|p| p.url().clone())
            }))
            .redirect(redirect_policy())
            .connect_timeout(opts.connect_timeout)
            // A server that accepts and reads the request but never answers,
            // or sends an error status and then stalls its body, would
            // otherwise hold a client forever: the clients' own read timeout
            // only starts once the SSE body is being read. This one covers
            // every read; it is a little longer, so on an SSE body the
            // clients' timeout (and its plainer message) comes first.
            .read_timeout(opts.sse_read_timeout + opts.sse_read_timeout / 4)
            .user_agent(concat!("misar-dash/", env!("CARGO_PKG_VERSION")))
            .build()
            .wrap_err("could not set up the HTTP client")?;
        let mut ws_tls = tls;
        ws_tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Network {
            http,
            tls: Arc::new(ws_tls),
            proxies,
            connect_timeout: opts.connect_timeout,
            header_timeout: opts.header_timeout,
        })
    }

    /// The proxy in use for any of `urls`, as `host:port`: what the status
    /// bar shows. Never the credentials.
    pub fn proxy_label<'a>(&self, urls: impl IntoIterator<Item = &'a str>) -> Option<String> {
        urls.into_iter()
            .filter_map(|u| Url::parse(u).ok())
            .find_map(|u| self.proxies.for_url(&u).map(Proxy::label))
    }

    /// Sends `request` and waits for the response's headers, at most
    /// `header_timeout`; the status goes to the network log. A failure to
    /// get an answer comes back as what the loop does next.
    pub async fn send(
        &self,
        request: reqwest::RequestBuilder,
        url: &Url,
        out: &Emitter,
    ) -> Result<reqwest::Response, Next> {
        let response = match tokio::time::timeout(self.header_timeout, request.send()).await {
            Err(_) => {
                return Err(Next::Retry {
                    reason: format!(
                        "no response headers from {} in {}",
                        host_port(url),
                        secs(self.header_timeout)
                    ),
                });
            }
            Ok(Err(e)) => {
                let failure = self.http_failure(&e, url);
                return Err(match (&failure, self.proxies.for_url(url)) {
                    (Next::Retry { reason }, Some(proxy)) if reason.contains(TUNNEL_REFUSED) => {
                        super::proxy::probe_tunnel(proxy, &host_port(url), self.header_timeout)
                            .await
                            .unwrap_or(failure)
                    }
                    _ => failure,
                });
            }
            Ok(Ok(response)) => response,
        };
        out.log(&format!(
            "HTTP {} from {}",
            response.status().as_u16(),
            host_port(response.url())
        ));
        Ok(response)
    }

    /// What an answer other than a success means: a redirect the policy
    /// handed back, a proxy's 407, or the API's own statuses (`api` and
    /// `what` name the API and the thing asked for).
    pub async fn refused(&self, response: reqwest::Response, api: &str, what: &str) -> Next {
        let status = response.status();
        let answered = response.url().clone();
        let headers = response.headers().clone();
        if status.is_redirection() {
            let location = headers
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok());
            return Next::Stop(redirect_stop(api, &answered, location));
        }
        if status.as_u16() == 407
            && let Some(proxy) = self.proxies.for_url(&answered)
        {
            return Next::Stop(proxy_auth_stop(proxy, "407 Proxy Authentication Required"));
        }
        let body = read_error_body(response).await;
        classify_status(status, &headers, &body, api, what)
    }

    /// What a reqwest error means: a certificate or a proxy's refusal is
    /// a stop; anything else is a link that may come back.
    pub fn http_failure(&self, e: &reqwest::Error, url: &Url) -> Next {
        let host = host_port(url);
        if let Some(tls) = find_rustls_error(e) {
            return Next::Stop(tls_stop(&host, tls));
        }
        let proxy = self.proxies.for_url(url);
        let (chain, cause) = causes(e);
        if let Some(p) = proxy
            && chain.contains("tunnel error")
        {
            // hyper-util's tunnel says which step failed only in its text.
            let p_label = p.label();
            return if chain.contains("proxy authorization required") {
                Next::Stop(proxy_auth_stop(p, "407 Proxy Authentication Required"))
            } else if chain.contains("failed to create underlying connection") {
                Next::Retry {
                    reason: format!("could not connect to the proxy {p_label}: {cause}"),
                }
            } else if chain.contains("tunnel error: unsuccessful") {
                Next::Retry {
                    reason: format!("the proxy {p_label} {TUNNEL_REFUSED} to {host}"),
                }
            } else {
                Next::Retry {
                    reason: format!("the proxy {p_label} broke off the tunnel to {host}: {cause}"),
                }
            };
        }
        let through = proxy.map_or(String::new(), |p| {
            format!(" through the proxy {}", p.label())
        });
        let reason = if e.is_connect() && e.is_timeout() {
            format!(
                "could not connect to {host}{through} in {}",
                secs(self.connect_timeout)
            )
        } else if e.is_connect() {
            format!("could not connect to {host}{through}: {cause}")
        } else if e.is_timeout() {
            format!("{host} stopped sending: timed out")
        } else if e.is_body() || e.is_decode() {
            format!("the connection to {host} broke while reading: {cause}")
        } else {
            format!("the request to {host} failed: {chain}")
        };
        Next::Retry { reason }
    }

    /// Opens a byte stream to `url`'s host for a WebSocket: TCP, through
    /// its proxy's `CONNECT` tunnel when one applies, then TLS for `wss`.
    /// Each step has its timeout and says what it was.
    pub async fn open(&self, url: &Url) -> Result<Box<dyn Io>, Next> {
        let (host, port) = dial_address(url, 80);
        let target = host_port(url);
        let proxy = self.proxies.for_url(url);
        let (dial_host, dial_port) = match proxy {
            Some(p) => p.dial_address(),
            None => (host.clone(), port),
        };
        let dialing = TcpStream::connect((dial_host.as_str(), dial_port));
        let mut tcp = match tokio::time::timeout(self.connect_timeout, dialing).await {
            Err(_) => {
                return Err(Next::Retry {
                    reason: match proxy {
                        Some(p) => format!(
                            "could not connect to the proxy {} in {}",
                            p.label(),
                            secs(self.connect_timeout)
                        ),
                        None => format!(
                            "could not connect to {target} in {}",
                            secs(self.connect_timeout)
                        ),
                    },
                });
            }
            Ok(Err(e)) => {
                return Err(Next::Retry {
                    reason: match proxy {
                        Some(p) => format!("could not connect to the proxy {}: {e}", p.label()),
                        None => format!("could not connect to {target}: {e}"),
                    },
                });
            }
            Ok(Ok(tcp)) => tcp,
        };
        let _ = tcp.set_nodelay(true);
        if let Some(p) = proxy {
            let tunnel = super::proxy::connect_tunnel(&mut tcp, p, &target);
            match tokio::time::timeout(self.header_timeout, tunnel).await {
                Err(_) => {
                    return Err(Next::Retry {
                        reason: format!(
                            "no answer to CONNECT {target} from the proxy {} in {}",
                            p.label(),
                            secs(self.header_timeout)
                        ),
                    });
                }
                Ok(Err(next)) => return Err(next),
                Ok(Ok(())) => {}
            }
        }
        if url.scheme() != "wss" {
            return Ok(Box::new(tcp));
        }
        let name = match rustls::pki_types::ServerName::try_from(host.clone()) {
            Ok(name) => name,
            Err(_) => {
                return Err(Next::Stop(StopReason::BadQuery {
                    detail: format!("{host:?} is not a host name TLS can check"),
                }));
            }
        };
        let connector = tokio_rustls::TlsConnector::from(self.tls.clone());
        match tokio::time::timeout(self.connect_timeout, connector.connect(name, tcp)).await {
            Err(_) => Err(Next::Retry {
                reason: format!(
                    "no TLS handshake from {target} in {}",
                    secs(self.connect_timeout)
                ),
            }),
            Ok(Err(e)) => Err(match find_rustls_error(&e) {
                Some(tls) => Next::Stop(tls_stop(&target, tls)),
                None => Next::Retry {
                    reason: format!("the TLS handshake with {target} broke off: {e}"),
                },
            }),
            Ok(Ok(stream)) => Ok(Box::new(stream)),
        }
    }
}

/// A byte stream a WebSocket runs over: plain TCP or TLS.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Same-origin redirects are followed, at most [`MAX_REDIRECTS`]; any
/// other is handed back as the 3xx response, for [`redirect_stop`].
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same = attempt
            .previous()
            .first()
            .is_some_and(|first| same_origin(first, attempt.url()));
        if same && attempt.previous().len() <= MAX_REDIRECTS {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str().map(str::to_ascii_lowercase) == b.host_str().map(str::to_ascii_lowercase)
        && a.port_or_known_default() == b.port_or_known_default()
}

/// The stop for a redirect that was not followed. `from` is the URL that
/// answered it; `location` its `Location` header.
pub fn redirect_stop(api: &str, from: &Url, location: Option<&str>) -> StopReason {
    let target = location.and_then(|l| from.join(l).ok());
    let detail = match target {
        Some(to) if same_origin(from, &to) => format!(
            "the {api} API redirected more than {MAX_REDIRECTS} times (last to {})",
            shown_url(&to)
        ),
        Some(to) => format!(
            "the {api} API redirected to {}, another origin; not followed, so the key is not \
             sent there (if that is the service now, set its URL to it)",
            shown_url(&to)
        ),
        None => format!("the {api} API answered a redirect without a usable Location"),
    };
    StopReason::Redirected { detail }
}

/// A URL as shown to a person: no credentials, no query (it may carry a
/// token), control characters gone.
fn shown_url(url: &Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_query(None);
    url.set_fragment(None);
    url.to_string()
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect()
}

/// The host (without an IPv6 literal's brackets) and port to open a TCP
/// connection to for `url`; `default_port` where the URL has none.
pub fn dial_address(url: &Url, default_port: u16) -> (String, u16) {
    let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']);
    let port = url.port_or_known_default().unwrap_or(default_port);
    (host.to_string(), port)
}

/// `host:port` of a URL, the way messages name a server.
pub fn host_port(url: &Url) -> String {
    let host = url.host_str().unwrap_or("?");
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// A timeout as messages say it: `30 s`, `0.3 s`.
pub fn secs(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// Every cause of `e` as one line, and the innermost alone (what a
/// person needs: "Connection refused"); never reqwest's own text, which
/// names the URL and so may hold the key.
fn causes(e: &reqwest::Error) -> (String, String) {
    use std::error::Error as _;
    let mut parts: Vec<String> = Vec::new();
    let mut cause: Option<&dyn std::error::Error> = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cause = c.source();
    }
    let innermost = parts
        .last()
        .cloned()
        .unwrap_or_else(|| "no cause given".into());
    let chain = if parts.is_empty() {
        innermost.clone()
    } else {
        parts.join(": ")
    };
    (chain, innermost)
}

/// `base` with `segments` appended, each percent-encoded, so an id with a
/// `/` or `?` cannot change the path.
pub(crate) fn endpoint_url(base: &str, segments: &[&str]) -> Result<Url, String> {
    let mut url = Url::parse(base).map_err(|e| format!("bad base URL {base:?}: {e}"))?;
    url.path_segments_mut()
        .map_err(|_| format!("bad base URL {base:?}: it cannot have a path"))?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

/// A GET for an SSE stream with the key as a header, or as `?token=` when
/// the user opted into that.
pub(crate) fn sse_request(
    http: &reqwest::Client,
    mut url: Url,
    key: &ApiKey,
    token_in_query: bool,
    query: &[(&str, String)],
) -> reqwest::RequestBuilder {
    {
        let mut pairs = url.query_pairs_mut();
        for (name, value) in query {
            pairs.append_pair(name, value);
        }
        if token_in_query {
            pairs.append_pair("token", key.expose());
        }
    }
    if url.query() == Some("") {
        url.set_query(None);
    }
    let request = http
        .get(url)
        .header(reqwest::header::ACCEPT, "text/event-stream")
        .header(reqwest::header::CACHE_CONTROL, "no-cache");
    if token_in_query {
        request
    } else {
        request.bearer_auth(key.expose())
    }
}

/// The start of an error response's body; enough for its message.
pub(crate) async fn read_error_body(mut response: reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() > 4096 {
            break;
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_compare_scheme_host_and_port() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(same_origin(
            &u("https://A.example/x"),
            &u("https://a.example:443/y")
        ));
        assert!(!same_origin(
            &u("https://a.example/"),
            &u("http://a.example/")
        ));
        assert!(!same_origin(
            &u("https://a.example/"),
            &u("https://a.example:8443/")
        ));
        assert!(!same_origin(
            &u("https://a.example/"),
            &u("https://b.example/")
        ));
    }

    #[test]
    fn a_redirect_stop_says_where_without_the_token() {
        let from = Url::parse("https://api.example/blog/x?token=msk_1").unwrap();
        let stop = redirect_stop(
            "blog",
            &from,
            Some("https://elsewhere.example:8443/y?token=msk_1"),
        );
        let text = stop.to_string();
        assert!(text.contains("https://elsewhere.example:8443/y"), "{text}");
        assert!(!text.contains("msk_1"), "{text}");
        assert_eq!(stop.exit_code(), 8);
    }
}
