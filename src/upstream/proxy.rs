//! HTTP proxies, chosen as curl chooses them, for every client: reqwest is
//! handed [`Proxies::for_url`], and the WebSocket clients open their
//! `CONNECT` tunnel with [`connect_tunnel`].

use std::net::IpAddr;

use base64::Engine as _;
use color_eyre::eyre::{Result, bail, eyre};
use reqwest::Url;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::StopReason;
use super::connection::Next;

/// One proxy: an `http://` URL, perhaps with credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct Proxy {
    url: Url,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Proxy({})", self.label())
    }
}

impl Proxy {
    /// Parses a proxy as curl does: a missing scheme means `http://`, a
    /// missing port 1080. Only `http://` proxies are spoken to (`CONNECT`).
    pub fn parse(text: &str) -> Result<Proxy> {
        let text = text.trim();
        let with_scheme = if text.contains("://") {
            text.to_string()
        } else {
            format!("http://{text}")
        };
        // The text may hold a password: never quote it in an error.
        let mut url = Url::parse(&with_scheme).map_err(|e| {
            eyre!("the proxy setting is not a URL ({e}); expected http://[user:password@]host:port")
        })?;
        if url.scheme() != "http" {
            bail!(
                "the proxy's scheme is {}: only http:// proxies are supported (HTTP CONNECT)",
                url.scheme()
            );
        }
        if url.host_str().is_none_or(str::is_empty) {
            bail!("the proxy setting has no host; expected http://[user:password@]host:port");
        }
        if url.port().is_none() {
            let _ = url.set_port(Some(1080));
        }
        Ok(Proxy { url })
    }

    /// `host:port`, never the credentials: what the status bar and the
    /// messages show.
    pub fn label(&self) -> String {
        super::network::host_port(&self.url)
    }

    /// Where to open the TCP connection to the proxy.
    pub fn dial_address(&self) -> (String, u16) {
        super::network::dial_address(&self.url, 1080)
    }

    /// The URL reqwest is given; its credentials become the
    /// `Proxy-Authorization` header.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The credentials, percent-decoded, for redaction.
    pub fn secrets(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(password) = self.url.password().filter(|p| !p.is_empty()) {
            out.push(password.to_string());
            out.push(percent_decode(password));
        }
        out
    }

    /// `Basic …` for `Proxy-Authorization`, when the URL has a user.
    fn authorization(&self) -> Option<String> {
        if self.url.username().is_empty() && self.url.password().is_none() {
            return None;
        }
        let user = percent_decode(self.url.username());
        let password = percent_decode(self.url.password().unwrap_or(""));
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        Some(format!("Basic {token}"))
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Which proxy each URL goes through.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Proxies {
    /// The config's `proxy`: every scheme, whatever the environment says.
    explicit: Option<Proxy>,
    /// The config said `proxy = "none"`: no proxy, whatever the environment says.
    direct: bool,
    http: Option<Proxy>,
    https: Option<Proxy>,
    all: Option<Proxy>,
    no_proxy: NoProxy,
}

impl Proxies {
    /// From the config's `proxy` and `no_proxy` settings, else the
    /// environment as curl reads it: `https_proxy` for https and wss,
    /// `http_proxy` for http and ws, `all_proxy` for either, `no_proxy`
    /// for the exceptions; each name in lower or upper case, lower first.
    pub fn new(config_proxy: Option<&str>, config_no_proxy: Option<&str>) -> Result<Proxies> {
        Proxies::from_lookup(config_proxy, config_no_proxy, |name| {
            std::env::var(name).ok()
        })
    }

    fn from_lookup(
        config_proxy: Option<&str>,
        config_no_proxy: Option<&str>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Proxies> {
        let var = |name: &str| {
            env(name)
                .or_else(|| env(&name.to_ascii_uppercase()))
                .filter(|v| !v.trim().is_empty())
        };
        let parse = |name: &str, value: Option<String>| -> Result<Option<Proxy>> {
            value
                .map(|v| Proxy::parse(&v).map_err(|e| eyre!("{name}: {e}")))
                .transpose()
        };
        let no_proxy = NoProxy::parse(
            &config_no_proxy
                .map(str::to_string)
                .or_else(|| var("no_proxy"))
                .unwrap_or_default(),
        );
        let config_proxy = config_proxy.map(str::trim).filter(|p| !p.is_empty());
        if let Some(p) = config_proxy {
            if p.eq_ignore_ascii_case("none") {
                return Ok(Proxies {
                    direct: true,
                    ..Proxies::default()
                });
            }
            return Ok(Proxies {
                explicit: Some(Proxy::parse(p).map_err(|e| eyre!("proxy in the config: {e}"))?),
                no_proxy,
                ..Proxies::default()
            });
        }
        Ok(Proxies {
            explicit: None,
            direct: false,
            http: parse("http_proxy", var("http_proxy"))?,
            https: parse("https_proxy", var("https_proxy"))?,
            all: parse("all_proxy", var("all_proxy"))?,
            no_proxy,
        })
    }

    /// The proxy for `url`, or `None` to connect directly.
    pub fn for_url(&self, url: &Url) -> Option<&Proxy> {
        if self.direct {
            return None;
        }
        let host = url.host_str()?;
        if self.no_proxy.matches(host) {
            return None;
        }
        if let Some(p) = &self.explicit {
            return Some(p);
        }
        let by_scheme = match url.scheme() {
            "https" | "wss" => self.https.as_ref(),
            "http" | "ws" => self.http.as_ref(),
            _ => None,
        };
        by_scheme.or(self.all.as_ref())
    }

    /// Every proxy credential, for redaction.
    pub fn secrets(&self) -> Vec<String> {
        [&self.explicit, &self.http, &self.https, &self.all]
            .into_iter()
            .flatten()
            .flat_map(Proxy::secrets)
            .collect()
    }
}

/// The `no_proxy` list: host names (a name matches itself and its
/// subdomains; a leading dot is the same), IP addresses, IP ranges in CIDR
/// form, or `*` for every host.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct NoProxy {
    every_host: bool,
    names: Vec<String>,
    ranges: Vec<(IpAddr, u8)>,
}

impl NoProxy {
    fn parse(text: &str) -> NoProxy {
        let mut list = NoProxy::default();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if entry == "*" {
                list.every_host = true;
                continue;
            }
            if let Some((addr, bits)) = entry.split_once('/')
                && let (Ok(addr), Ok(bits)) = (addr.trim_matches(['[', ']']).parse(), bits.parse())
            {
                list.ranges.push((addr, bits));
                continue;
            }
            let bare = entry.trim_matches(['[', ']']);
            if let Ok(addr) = bare.parse::<IpAddr>() {
                let bits = if addr.is_ipv4() { 32 } else { 128 };
                list.ranges.push((addr, bits));
                continue;
            }
            list.names
                .push(entry.trim_start_matches('.').to_ascii_lowercase());
        }
        list
    }

    fn matches(&self, host: &str) -> bool {
        if self.every_host {
            return true;
        }
        let host = host.trim_matches(['[', ']']).to_ascii_lowercase();
        if let Ok(addr) = host.parse::<IpAddr>() {
            return self
                .ranges
                .iter()
                .any(|(net, bits)| in_range(addr, *net, *bits));
        }
        let host = host.trim_end_matches('.');
        self.names.iter().any(|name| {
            host == name
                || (host.len() > name.len()
                    && host.ends_with(name.as_str())
                    && host.as_bytes()[host.len() - name.len() - 1] == b'.')
        })
    }
}

fn in_range(addr: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (addr, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let bits = u32::from(bits.min(32));
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let bits = u32::from(bits.min(128));
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// The longest answer to `CONNECT` read before giving up on the proxy.
const MAX_CONNECT_ANSWER: usize = 16 * 1024;

/// Asks `proxy`, over `tcp`, for a tunnel to `target` (`host:port`). A 407
/// is a stop naming the proxy; any other refusal is retried.
pub async fn connect_tunnel(tcp: &mut TcpStream, proxy: &Proxy, target: &str) -> Result<(), Next> {
    let mut request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
    if let Some(auth) = proxy.authorization() {
        request.push_str(&format!("Proxy-Authorization: {auth}\r\n"));
    }
    request.push_str("\r\n");
    let io_failed = |e: std::io::Error| Next::Retry {
        reason: format!("the proxy {} broke off the tunnel: {e}", proxy.label()),
    };
    tcp.write_all(request.as_bytes()).await.map_err(io_failed)?;
    // Read byte by byte up to the blank line: whatever follows it belongs
    // to the tunnel (the TLS handshake), not to us.
    let mut head = Vec::with_capacity(256);
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() >= MAX_CONNECT_ANSWER {
            return Err(Next::Retry {
                reason: format!(
                    "the proxy {} sent an over-long answer to CONNECT",
                    proxy.label()
                ),
            });
        }
        match tcp.read(&mut byte).await.map_err(io_failed)? {
            0 => {
                return Err(Next::Retry {
                    reason: format!(
                        "the proxy {} closed the connection before answering CONNECT",
                        proxy.label()
                    ),
                });
            }
            _ => head.push(byte[0]),
        }
    }
    let status_line = head
        .split(|&b| b == b'\n')
        .next()
        .map(|l| String::from_utf8_lossy(l).trim().to_string())
        .unwrap_or_default();
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let said: String = status_line
        .split_whitespace()
        .skip(1)
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .take(80)
        .collect();
    match status {
        200..=299 => Ok(()),
        // 407 is the standard answer; some proxies (tinyproxy) send 401.
        401 | 407 => Err(Next::Stop(proxy_auth_stop(proxy, &said))),
        403 => Err(Next::Stop(StopReason::Proxy {
            detail: format!(
                "the proxy {} forbids CONNECT {target} ({said}): its rules do not allow this \
                 host or port",
                proxy.label()
            ),
        })),
        _ => Err(Next::Retry {
            reason: format!(
                "the proxy {} answered {said:?} to CONNECT {target}",
                proxy.label()
            ),
        }),
    }
}

/// The stop for a proxy that refused our credentials; `said` is its
/// status line's code and words.
pub fn proxy_auth_stop(proxy: &Proxy, said: &str) -> StopReason {
    let has_user = proxy.authorization().is_some();
    StopReason::Proxy {
        detail: format!(
            "the proxy {} answered {said}: {}",
            proxy.label(),
            if has_user {
                "it refused the user and password in the proxy URL"
            } else {
                "it wants credentials (http://user:password@host:port in the proxy setting)"
            }
        ),
    }
}

/// Asks `proxy` for a tunnel to `target` once more, only to read its
/// answer: reqwest says a tunnel was refused, not how (a 401, a 403 or a
/// 502), and each means something different to the user.
pub async fn probe_tunnel(
    proxy: &Proxy,
    target: &str,
    timeout: std::time::Duration,
) -> Option<Next> {
    let (host, port) = proxy.dial_address();
    let probe = async {
        let mut tcp = TcpStream::connect((host.as_str(), port)).await.ok()?;
        connect_tunnel(&mut tcp, proxy, target).await.err()
    };
    tokio::time::timeout(timeout, probe).await.ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(config: Option<&str>, vars: &[(&str, &str)]) -> Proxies {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Proxies::from_lookup(config, None, |name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
        .unwrap()
    }

    fn via(p: &Proxies, url: &str) -> Option<String> {
        p.for_url(&Url::parse(url).unwrap()).map(Proxy::label)
    }

    #[test]
    fn the_scheme_picks_the_variable_as_curl_does() {
        let p = proxies(
            None,
            &[
                ("https_proxy", "http://sec:3128"),
                ("HTTP_PROXY", "plain:8080"),
                ("ALL_PROXY", "http://all:1"),
            ],
        );
        assert_eq!(
            via(&p, "https://api.example/x").as_deref(),
            Some("sec:3128")
        );
        assert_eq!(via(&p, "wss://api.example/ws").as_deref(), Some("sec:3128"));
        assert_eq!(
            via(&p, "http://api.example/").as_deref(),
            Some("plain:8080")
        );
        assert_eq!(via(&p, "ws://api.example/").as_deref(), Some("plain:8080"));
        let p = proxies(None, &[("all_proxy", "fallback")]);
        assert_eq!(via(&p, "wss://x/").as_deref(), Some("fallback:1080"));
        let p = proxies(
            None,
            &[("https_proxy", "lower:1"), ("HTTPS_PROXY", "upper:2")],
        );
        assert_eq!(via(&p, "https://x/").as_deref(), Some("lower:1"));
        assert_eq!(via(&proxies(None, &[]), "https://x/"), None);
    }

    #[test]
    fn no_proxy_matches_names_suffixes_addresses_and_ranges() {
        let p = proxies(
            None,
            &[
                ("all_proxy", "p:1"),
                (
                    "NO_PROXY",
                    "localhost, .internal.example,10.0.0.0/8,::1,192.168.1.7",
                ),
            ],
        );
        for direct in [
            "http://localhost:9/",
            "http://LOCALHOST/",
            "https://api.internal.example/",
            "https://internal.example/",
            "http://10.2.3.4/",
            "http://[::1]:80/",
            "http://192.168.1.7/",
        ] {
            assert_eq!(via(&p, direct), None, "{direct}");
        }
        for proxied in [
            "https://notinternal.example/",
            "http://11.0.0.1/",
            "http://192.168.1.8/",
            "https://localhost.evil/",
        ] {
            assert!(via(&p, proxied).is_some(), "{proxied}");
        }
        let p = proxies(None, &[("all_proxy", "p:1"), ("no_proxy", "*")]);
        assert_eq!(via(&p, "https://anything/"), None);
    }

    #[test]
    fn the_config_overrides_the_environment() {
        let env = [("https_proxy", "env:1")];
        let p = proxies(Some("http://cfg:3128"), &env);
        assert_eq!(via(&p, "https://x/").as_deref(), Some("cfg:3128"));
        assert_eq!(via(&p, "ws://x/").as_deref(), Some("cfg:3128"));
        let p = proxies(Some("none"), &env);
        assert_eq!(via(&p, "https://x/"), None);
    }

    #[test]
    fn credentials_are_sent_decoded_and_never_shown() {
        let p = Proxy::parse("http://al%40ice:s%3Acret@proxy.corp:3128").unwrap();
        assert_eq!(p.label(), "proxy.corp:3128");
        assert!(!format!("{p:?}").contains("cret"));
        let expected = base64::engine::general_purpose::STANDARD.encode("al@ice:s:cret");
        assert_eq!(p.authorization(), Some(format!("Basic {expected}")));
        assert!(p.secrets().contains(&"s:cret".to_string()));
        assert_eq!(Proxy::parse("proxy.corp").unwrap().authorization(), None);
    }

    #[test]
    fn unsupported_or_broken_proxies_are_refused_without_echoing_them() {
        let err = Proxy::parse("socks5://u:hunter2@h:1")
            .unwrap_err()
            .to_string();
        assert!(err.contains("only http://"), "{err}");
        assert!(!err.contains("hunter2"));
        let err = Proxy::parse("http://u:hunter2@").unwrap_err().to_string();
        assert!(!err.contains("hunter2"), "{err}");
    }
}
