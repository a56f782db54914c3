//! WebSocket connections the host holds for channels (the WIT `session` export): the
//! same grant, secret and address checks as a request, then TLS and the opening
//! handshake on a connection the host dialled itself.

use std::net::SocketAddr;
use std::str::FromStr as _;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::dns::{Name, Resolve as _};
use switchboard_types::{FetchError, Headers, OutgoingRequest};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use url::{Host, Url};

use crate::client::{Egress, scrub};
use crate::frame::SessionGrant;
use crate::policy::{GrantedBy, Policy};
use crate::prepare::prepare;

/// The byte stream under a session: plain TCP or TLS over TCP.
pub trait SocketStream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> SocketStream for T {}

/// An open WebSocket connection.
pub type Socket = WebSocketStream<Box<dyn SocketStream>>;

/// Limits of one session connection.
#[derive(Debug, Clone, Copy)]
pub struct SocketLimits {
    /// The largest message (and frame) accepted; a larger one ends the connection.
    pub max_frame_bytes: usize,
    /// Time for the name lookup, the TCP and TLS set-up and the opening handshake.
    pub connect_timeout: Duration,
}

impl Egress {
    /// Opens a WebSocket to `url` (`ws://` or `wss://`) with `headers` on the opening
    /// handshake, after the checks a request to the `http`/`https` twin of the URL
    /// gets: a grant for `GET`, secrets only where the manifest places them, and, for a
    /// manifest grant, public addresses only. Errors are redacted. The grant is what
    /// [`Policy::fill_frame`] needs for the frames sent on it.
    pub async fn connect_socket(
        &self,
        policy: &Policy,
        url: &str,
        headers: Headers,
        limits: SocketLimits,
    ) -> Result<(Socket, SessionGrant), FetchError> {
        let result = tokio::time::timeout(
            limits.connect_timeout,
            self.connect_checked(policy, url, headers, limits),
        )
        .await
        .unwrap_or(Err(FetchError::Timeout));
        result.map_err(|err| scrub(err, policy.redactor()))
    }

    async fn connect_checked(
        &self,
        policy: &Policy,
        url: &str,
        headers: Headers,
        limits: SocketLimits,
    ) -> Result<(Socket, SessionGrant), FetchError> {
        let (twin, tls) = http_twin(url)?;
        let prepared = prepare(
            policy,
            OutgoingRequest {
                method: "GET".to_owned(),
                url: twin,
                headers,
                body: Vec::new(),
                timeout_ms: None,
            },
        )?;
        let target = prepared.url;
        let grant = SessionGrant {
            origin: target.origin(),
            granted_by: prepared.granted_by,
        };
        let host = target
            .host_str()
            .ok_or_else(|| FetchError::Invalid("the session URL has no host".to_owned()))?
            .to_owned();
        let port = target
            .port_or_known_default()
            .ok_or_else(|| FetchError::Invalid("the session URL has no port".to_owned()))?;
        let addrs = self.resolve(&target, prepared.granted_by, port).await?;
        let tcp = dial(&addrs).await?;
        let stream: Box<dyn SocketStream> = if tls {
            let server = rustls_pki_types::ServerName::try_from(host.clone())
                .map_err(|e| FetchError::Invalid(format!("TLS server name {host}: {e}")))?;
            let tls = tls_connector()
                .connect(server, tcp)
                .await
                .map_err(|e| FetchError::Network(format!("TLS: {e}")))?;
            Box::new(tls)
        } else {
            Box::new(tcp)
        };
        let ws_url = ws_url(&target, tls);
        let mut request = ws_url
            .as_str()
            .into_client_request()
            .map_err(|e| FetchError::Invalid(format!("session URL: {e}")))?;
        for (name, value) in &prepared.headers {
            if let Ok(value) = HeaderValue::from_bytes(value.as_bytes()) {
                request.headers_mut().append(name.clone(), value);
            }
        }
        let config = WebSocketConfig::default()
            .max_message_size(Some(limits.max_frame_bytes))
            .max_frame_size(Some(limits.max_frame_bytes));
        let (socket, response) =
            tokio_tungstenite::client_async_with_config(request, stream, Some(config))
                .await
                .map_err(|e| FetchError::Network(format!("WebSocket handshake: {e}")))?;
        check_switched(response.status().as_u16())?;
        Ok((socket, grant))
    }

    /// The addresses to dial: an IP literal as it is (a manifest grant's literal was
    /// checked by `prepare`), a name through the resolver of the client the grant
    /// selects, which refuses restricted answers for manifest grants.
    async fn resolve(
        &self,
        url: &Url,
        granted_by: GrantedBy,
        port: u16,
    ) -> Result<Vec<SocketAddr>, FetchError> {
        match url.host() {
            Some(Host::Ipv4(ip)) => Ok(vec![SocketAddr::new(ip.into(), port)]),
            Some(Host::Ipv6(ip)) => Ok(vec![SocketAddr::new(ip.into(), port)]),
            Some(Host::Domain(name)) => {
                let lookups = self.lookups_for(granted_by);
                let name = Name::from_str(name)
                    .map_err(|e| FetchError::Invalid(format!("host name: {e}")))?;
                let addrs = lookups
                    .resolve(name)
                    .await
                    .map_err(|e| FetchError::Network(format!("name lookup: {e}")))?;
                Ok(addrs.map(|a| SocketAddr::new(a.ip(), port)).collect())
            }
            None => Err(FetchError::Invalid(
                "the session URL has no host".to_owned(),
            )),
        }
    }
}

/// A successful opening handshake answers 101; the handshake library already fails
/// on anything else, so this only guards against a change there.
fn check_switched(status: u16) -> Result<(), FetchError> {
    if status == 101 {
        Ok(())
    } else {
        Err(FetchError::Network(format!(
            "WebSocket handshake answered {status}"
        )))
    }
}

/// The `http`/`https` URL the grants are written for, and whether TLS is needed.
fn http_twin(url: &str) -> Result<(String, bool), FetchError> {
    let (scheme, rest) = url.split_once("://").ok_or_else(|| {
        FetchError::Invalid("a session URL must start with wss:// or ws://".to_owned())
    })?;
    match scheme.to_ascii_lowercase().as_str() {
        "wss" => Ok((format!("https://{rest}"), true)),
        "ws" => Ok((format!("http://{rest}"), false)),
        other => Err(FetchError::Invalid(format!(
            "a session URL must be wss:// (or ws:// towards a granted local server), not {other}://"
        ))),
    }
}

/// The filled-in URL with its WebSocket scheme back.
fn ws_url(target: &Url, tls: bool) -> String {
    let text = target.as_str();
    let rest = text.split_once("://").map_or(text, |(_, rest)| rest);
    format!("{}://{rest}", if tls { "wss" } else { "ws" })
}

async fn dial(addrs: &[SocketAddr]) -> Result<TcpStream, FetchError> {
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(stream) => {
                // Frames are small and latency matters more than packing them.
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(FetchError::Network(match last {
        Some(e) => format!("connect: {e}"),
        None => "no address to connect to".to_owned(),
    }))
}

/// TLS with the public web roots, as the HTTP clients use; built once.
fn tls_connector() -> tokio_rustls::TlsConnector {
    static CONFIG: OnceLock<Arc<tokio_rustls::rustls::ClientConfig>> = OnceLock::new();
    let config = CONFIG.get_or_init(|| {
        let roots = tokio_rustls::rustls::RootCertStore::from_iter(
            webpki_roots::TLS_SERVER_ROOTS.iter().cloned(),
        );
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map(|b| b.with_root_certificates(roots).with_no_client_auth());
        Arc::new(config.unwrap_or_else(|_| {
            // The ring provider supports the default versions; this cannot fail.
            tokio_rustls::rustls::ClientConfig::builder()
                .with_root_certificates(tokio_rustls::rustls::RootCertStore::empty())
                .with_no_client_auth()
        }))
    });
    tokio_rustls::TlsConnector::from(config.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_urls_are_checked_as_their_http_twins() {
        assert_eq!(
            http_twin("wss://wss-primary.slack.com/link/?ticket=1").unwrap(),
            (
                "https://wss-primary.slack.com/link/?ticket=1".to_owned(),
                true
            )
        );
        assert_eq!(
            http_twin("WS://127.0.0.1:9/socket").unwrap(),
            ("http://127.0.0.1:9/socket".to_owned(), false)
        );
        assert!(matches!(
            http_twin("https://slack.com/"),
            Err(FetchError::Invalid(_))
        ));
        assert!(matches!(
            http_twin("slack.com"),
            Err(FetchError::Invalid(_))
        ));
        let url = Url::parse("https://gateway.example/?v=10").unwrap();
        assert_eq!(ws_url(&url, true), "wss://gateway.example/?v=10");
    }
}
