//! The shared HTTP clients and the request/response exchange.

use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;
use reqwest::{Client, Response, redirect};
use switchboard_types::{FetchError, Headers, IncomingResponse, OutgoingRequest};
use url::Host;

use crate::address::RestrictedAddress;
use crate::error::EgressError;
use crate::policy::{GrantedBy, Policy};
use crate::prepare::{Prepared, prepare};
use crate::resolver::{self, DnsOptions, Lookups, NoAnswer, Pending};
use crate::secret::Redactor;

/// Limits and identity for outbound requests.
#[derive(Debug, Clone)]
pub struct EgressOptions {
    /// Responses with a longer body fail with [`FetchError::TooLarge`].
    pub max_response_bytes: usize,
    /// Timeout for the whole exchange when the request names none.
    pub default_timeout: Duration,
    /// Ceiling on any timeout a request asks for.
    pub max_timeout: Duration,
    /// Sent as `User-Agent` unless the request sets its own.
    pub user_agent: String,
    /// Name servers and the lookup timeout.
    pub dns: DnsOptions,
}

/// Sends channel requests. Shared by all instances; cloning is cheap and shares the
/// connection pools, which are built once here.
#[derive(Clone)]
pub struct Egress {
    /// Serves manifest capabilities; its resolver refuses restricted addresses.
    public: Client,
    /// Serves operator grants, which may point anywhere, including loopback. It has its
    /// own pool so that a connection opened to a private address is never reused for a
    /// manifest capability.
    operator: Client,
    limits: Arc<EgressOptions>,
    /// Names being resolved right now, shared by both clients' resolvers.
    lookups: Arc<Pending>,
    /// The two clients' resolvers, for the connections the host dials itself
    /// (WebSocket sessions): public addresses only, and anything.
    public_lookups: Arc<Lookups>,
    operator_lookups: Arc<Lookups>,
}

impl Egress {
    /// Builds the clients. Fails if the timeouts are inconsistent, the user agent is
    /// not a valid header value, the system's resolver configuration cannot be read,
    /// or TLS cannot be set up.
    pub fn new(opts: EgressOptions) -> Result<Egress, EgressError> {
        if opts.default_timeout > opts.max_timeout {
            return Err(EgressError::TimeoutAboveMax {
                default: opts.default_timeout,
                max: opts.max_timeout,
            });
        }
        let user_agent = HeaderValue::from_str(&opts.user_agent).map_err(|source| {
            EgressError::InvalidUserAgent {
                user_agent: opts.user_agent.clone(),
                source,
            }
        })?;
        let resolver = resolver::build(&opts.dns)?;
        let lookups = Arc::new(Pending::default());
        let resolve_for = |public_only: bool| {
            Arc::new(Lookups::new(
                resolver.clone(),
                public_only,
                opts.dns.lookup_timeout,
                lookups.clone(),
            ))
        };
        let (public_lookups, operator_lookups) = (resolve_for(true), resolve_for(false));
        let client = |resolve: Arc<Lookups>| {
            Client::builder()
                .redirect(redirect::Policy::none())
                // A proxy from the environment would dial on our behalf and bypass the
                // address checks.
                .no_proxy()
                .user_agent(user_agent.clone())
                .dns_resolver(resolve)
                .build()
                .map_err(|source| EgressError::Client { source })
        };
        Ok(Egress {
            public: client(public_lookups.clone())?,
            operator: client(operator_lookups.clone())?,
            limits: Arc::new(opts),
            lookups,
            public_lookups,
            operator_lookups,
        })
    }

    /// Checks `req` against `policy`, fills in its secrets, sends it and returns the
    /// response with secret values redacted. A refused request sends nothing. Redirects
    /// are returned, not followed.
    pub async fn fetch(
        &self,
        policy: &Policy,
        req: OutgoingRequest,
    ) -> Result<IncomingResponse, FetchError> {
        let timeout = self.timeout_for(req.timeout_ms);
        let result = match prepare(policy, req) {
            Ok(prepared) => {
                let host = match prepared.url.host() {
                    Some(Host::Domain(name)) => Some(name.to_owned()),
                    _ => None,
                };
                let exchange = self.exchange(policy.redactor(), prepared, None);
                tokio::pin!(exchange);
                // Borrowed, so that a lookup under way is still pending when the
                // timeout is classified.
                match tokio::time::timeout(timeout, exchange.as_mut()).await {
                    Ok(result) => result,
                    Err(_elapsed) => Err(self.timed_out(host.as_deref(), timeout)),
                }
            }
            Err(refusal) => Err(refusal),
        };
        result.map_err(|err| scrub(err, policy.redactor()))
    }

    /// A request that ran out of time while its name was still being looked up
    /// says so: the name server is the problem, not the API.
    fn timed_out(&self, host: Option<&str>, after: Duration) -> FetchError {
        match host {
            Some(host) if self.lookups.contains(host) => {
                FetchError::Network(NoAnswer::new(host, after).to_string())
            }
            _ => FetchError::Timeout,
        }
    }

    /// The resolver for what granted a connection the host dials itself.
    pub(crate) fn lookups_for(&self, granted_by: GrantedBy) -> &Lookups {
        match granted_by {
            GrantedBy::Manifest => &self.public_lookups,
            GrantedBy::Operator => &self.operator_lookups,
        }
    }

    /// The client for what granted a request: an operator grant has its own pool.
    pub(crate) fn client_for(&self, granted_by: GrantedBy) -> &Client {
        match granted_by {
            GrantedBy::Manifest => &self.public,
            GrantedBy::Operator => &self.operator,
        }
    }

    fn timeout_for(&self, requested_ms: Option<u32>) -> Duration {
        match requested_ms {
            Some(ms) => Duration::from_millis(u64::from(ms)).min(self.limits.max_timeout),
            None => self.limits.default_timeout,
        }
    }

    /// Sends a prepared request with `body` (its own bytes unless a streamed body
    /// replaces them) and reads the answer, redacted and under the response cap.
    pub(crate) async fn exchange(
        &self,
        redactor: &Redactor,
        prepared: Prepared,
        body: Option<(reqwest::Body, u64)>,
    ) -> Result<IncomingResponse, FetchError> {
        let request = self
            .client_for(prepared.granted_by)
            .request(prepared.method, prepared.url)
            .headers(prepared.headers);
        let request = match body {
            Some((body, len)) => request.header(http::header::CONTENT_LENGTH, len).body(body),
            None => request.body(prepared.body),
        };
        let response = request.send().await.map_err(send_error)?;
        let status = response.status().as_u16();
        let headers = response_headers(&response, redactor);
        let body = read_body(response, self.limits.max_response_bytes).await?;
        let body = redactor.redact_bytes(&body);
        // Redaction can lengthen the body; the guest is promised the limit holds.
        if body.len() > self.limits.max_response_bytes {
            return Err(FetchError::TooLarge);
        }
        Ok(IncomingResponse {
            status,
            headers,
            body,
        })
    }
}

/// The response's headers with secret values redacted, names too: a server may
/// reflect what it was sent into a header name.
pub(crate) fn response_headers(response: &Response, redactor: &Redactor) -> Headers {
    response
        .headers()
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes());
            (
                redactor.redact_str(name.as_str()),
                redactor.redact_str(&value),
            )
        })
        .collect()
}

/// Reads the body chunk by chunk and stops as soon as it passes `max` bytes.
pub(crate) async fn read_body(mut response: Response, max: usize) -> Result<Vec<u8>, FetchError> {
    if response
        .content_length()
        .is_some_and(|len| len > u64::try_from(max).unwrap_or(u64::MAX))
    {
        return Err(FetchError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(send_error)? {
        if body.len() + chunk.len() > max {
            return Err(FetchError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Classifies a client error. The resolver's refusal arrives wrapped in connection
/// errors, so the whole source chain is searched for it.
pub(crate) fn send_error(err: reqwest::Error) -> FetchError {
    if let Some(refused) = find_in_chain::<RestrictedAddress>(&err) {
        return FetchError::Denied(refused.to_string());
    }
    if let Some(no_answer) = find_in_chain::<NoAnswer>(&err) {
        return FetchError::Network(no_answer.to_string());
    }
    if err.is_timeout() {
        return FetchError::Timeout;
    }
    // The URL holds filled-in secrets, so it never goes into the message.
    let err = err.without_url();
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    FetchError::Network(message)
}

fn find_in_chain<'e, T: StdError + 'static>(err: &'e (dyn StdError + 'static)) -> Option<&'e T> {
    let mut current = Some(err);
    while let Some(err) = current {
        if let Some(found) = err.downcast_ref::<T>() {
            return Some(found);
        }
        current = err.source();
    }
    None
}

/// Runs every text a guest will see through redaction, whatever produced it.
pub(crate) fn scrub(err: FetchError, redactor: &Redactor) -> FetchError {
    match err {
        FetchError::Denied(why) => FetchError::Denied(redactor.redact_str(&why)),
        FetchError::Network(why) => FetchError::Network(redactor.redact_str(&why)),
        FetchError::Invalid(why) => FetchError::Invalid(redactor.redact_str(&why)),
        FetchError::Timeout => FetchError::Timeout,
        FetchError::TooLarge => FetchError::TooLarge,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(default: u64, max: u64) -> EgressOptions {
        EgressOptions {
            max_response_bytes: 1024,
            default_timeout: Duration::from_secs(default),
            max_timeout: Duration::from_secs(max),
            user_agent: "switchboard-test".to_owned(),
            dns: DnsOptions::default(),
        }
    }

    #[test]
    fn timeouts_are_capped_and_defaulted() {
        let egress = Egress::new(options(10, 30)).expect("valid options");
        assert_eq!(egress.timeout_for(None), Duration::from_secs(10));
        assert_eq!(egress.timeout_for(Some(2_000)), Duration::from_secs(2));
        assert_eq!(egress.timeout_for(Some(60_000)), Duration::from_secs(30));
    }

    #[test]
    fn fetch_can_run_on_a_multi_threaded_runtime() {
        fn assert_send<T: Send>(_: &T) {}
        let egress = Egress::new(options(1, 2)).expect("valid options");
        let policy = Policy::new(&[], &[], Default::default()).expect("empty policy");
        let request = OutgoingRequest {
            method: "GET".to_owned(),
            url: "https://api.example.com/".to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
            timeout_ms: None,
        };
        // The runtime awaits this inside async host functions, which must be `Send`.
        assert_send(&egress.fetch(&policy, request));
    }

    #[test]
    fn inconsistent_options_are_rejected() {
        assert!(matches!(
            Egress::new(options(31, 30)),
            Err(EgressError::TimeoutAboveMax { .. })
        ));
        let mut bad_agent = options(1, 2);
        bad_agent.user_agent = "a\nb".to_owned();
        assert!(matches!(
            Egress::new(bad_agent),
            Err(EgressError::InvalidUserAgent { .. })
        ));
    }
}
