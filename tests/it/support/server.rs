//! A small server a test starts on 127.0.0.1 where the simulator cannot
//! misbehave in the way needed: it speaks just enough HTTP, records each
//! request, and answers as the test says.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The head of a successful event-stream answer, closed after its body.
pub const SSE_HEAD: &str = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n";

/// One request as the server saw it: when it arrived, and its head.
#[derive(Clone, Debug)]
pub struct Hit {
    pub at: Instant,
    pub head: String,
}

impl Hit {
    /// A query parameter of the request line, decoded.
    pub fn param(&self, name: &str) -> Option<String> {
        let target = self.head.split_whitespace().nth(1)?;
        let url = reqwest::Url::parse(&format!("http://x{target}")).ok()?;
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<String> {
        header_value(&self.head, name)
    }
}

/// The value of header `name` (any case) in a request's head.
pub fn header_value(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|l| {
        let (n, value) = l.split_once(':')?;
        n.trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().to_string())
    })
}

/// An HTTP/1.1 server that reads each request's head, records it, and
/// hands the connection to its handler with the request's number (from 0).
/// It serves until the test's runtime ends.
pub struct Server {
    pub addr: SocketAddr,
    hits: Arc<Mutex<Vec<Hit>>>,
}

impl Server {
    pub async fn start<F, Fut>(handler: F) -> Server
    where
        F: Fn(usize, Hit, TcpStream) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("a bound address");
        let hits = Arc::new(Mutex::new(Vec::new()));
        let handler = Arc::new(handler);
        let seen = hits.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let (seen, handler) = (seen.clone(), handler.clone());
                tokio::spawn(async move {
                    let Some(head) = read_head(&mut stream).await else {
                        return;
                    };
                    let hit = Hit {
                        at: Instant::now(),
                        head,
                    };
                    let n = {
                        let mut hits = seen.lock().expect("the request log");
                        hits.push(hit.clone());
                        hits.len() - 1
                    };
                    handler(n, hit, stream).await;
                });
            }
        });
        Server { addr, hits }
    }

    /// A server that answers request `n` with what `respond` makes of it
    /// (status line, headers and body), then closes the connection.
    pub async fn answering(
        respond: impl Fn(usize, &Hit) -> String + Send + Sync + 'static,
    ) -> Server {
        let respond = Arc::new(respond);
        Server::start(move |n, hit, mut stream| {
            let response = respond(n, &hit);
            async move {
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
            }
        })
        .await
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().expect("the request log").clone()
    }

    /// `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 || head.len() > 16 * 1024 {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

/// Writes each of `parts` to the client in turn; false once it has hung
/// up (a client that hangs up is no failure of the server).
pub async fn send(stream: &mut TcpStream, parts: &[&str]) -> bool {
    for part in parts {
        if stream.write_all(part.as_bytes()).await.is_err() {
            return false;
        }
    }
    true
}

/// Keeps a connection open without writing a byte until the client hangs up
/// (or a minute passes): a link gone silent.
pub async fn hold_silently(mut stream: TcpStream) {
    let mut buf = [0u8; 256];
    let _ = tokio::time::timeout(Duration::from_secs(60), async {
        while let Ok(n) = stream.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
}

/// A complete HTTP answer: `status` (code and reason), `content_type` and
/// `body`, with its length, on a connection closed after it.
pub fn answer(status: &str, content_type: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// A domain-log event carrying `records` (each a JSON object).
pub fn logs_event(records: &[String]) -> String {
    format!(
        "event: logs\ndata: {{\"logs\":[{}]}}\n\n",
        records.join(",")
    )
}

/// The domain-log event that completes a stream of `total` records.
pub fn complete_event(total: usize) -> String {
    format!("event: complete\ndata: {{\"total\":{total}}}\n\n")
}

/// A WebSocket server on 127.0.0.1 that hands each connection, once its
/// handshake is done, to its handler with the connection's number (from
/// 0). It serves until the test's runtime ends.
pub struct WsServer {
    pub addr: SocketAddr,
    connections: Arc<AtomicUsize>,
}

pub type ServerSocket = tokio_tungstenite::WebSocketStream<TcpStream>;

impl WsServer {
    pub async fn start<F, Fut>(handler: F) -> WsServer
    where
        F: Fn(usize, ServerSocket) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("a bound address");
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = connections.clone();
        let handler = Arc::new(handler);
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (counted, handler) = (counted.clone(), handler.clone());
                tokio::spawn(async move {
                    let Ok(ws) = tokio_tungstenite::accept_async(tcp).await else {
                        return;
                    };
                    let n = counted.fetch_add(1, Ordering::SeqCst);
                    handler(n, ws).await;
                });
            }
        });
        WsServer { addr, connections }
    }

    /// Connections that completed the handshake so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// `ws://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("ws://{}", self.addr)
    }
}
