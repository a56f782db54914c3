//! Reading bytes from a path or an http(s) URL, bounded in size and time.
//!
//! Plain `http:` is used only when the caller allows it ([`PlainHttp::Allow`]), for
//! the first URL and for every redirect. Redirects are followed here rather than by
//! the HTTP client, so that each hop is checked: a redirect from https to http is
//! never followed, whatever the caller allows.

use std::path::Path;
use std::time::Duration;

use tokio::io::AsyncReadExt as _;
use tokio::time::Instant;
use url::Url;

use crate::error::RegistryError;
use crate::source::Source;

/// Whether an index or an artifact may be fetched over plain `http:`.
///
/// Over plain http anyone on the network path can read and change what is fetched,
/// and the index is what pins each artifact's digest, so the default refuses it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PlainHttp {
    /// Only `https:` URLs (and local files). The default.
    #[default]
    Refuse,
    /// `http:` URLs are fetched too (the CLI's `--allow-http`). A redirect from
    /// `https:` to `http:` is still refused.
    Allow,
}

/// What is being fetched; each kind has its own size and time budget.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Index,
    Artifact,
}

impl Kind {
    /// An index is a list of small manifests; 8 MiB is thousands of versions.
    const INDEX_LIMIT: u64 = 8 << 20;
    /// A Rust channel component is well under a MiB, one that embeds an interpreter
    /// 12 MiB (componentize-js) to 18 MiB (componentize-py); the cap keeps a hostile
    /// or broken server from filling memory, since the whole artifact is hashed before
    /// it is written.
    const ARTIFACT_LIMIT: u64 = 64 << 20;

    pub(crate) fn limit(self) -> u64 {
        match self {
            Kind::Index => Self::INDEX_LIMIT,
            Kind::Artifact => Self::ARTIFACT_LIMIT,
        }
    }

    /// The whole request, body included. Generous for artifacts so that 64 MiB still
    /// arrives over a slow link; the read timeout catches a stalled server sooner.
    fn total_timeout(self) -> Duration {
        match self {
            Kind::Index => Duration::from_secs(60),
            Kind::Artifact => Duration::from_secs(600),
        }
    }
}

/// The environment variable naming a PEM file of extra certificate authorities to
/// trust for registry fetches, next to the built-in roots: for a registry behind a
/// private CA.
pub const REGISTRY_CA_ENV: &str = "SWITCHBOARD_REGISTRY_CA";

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest silence between two reads of one response.
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Redirects followed for one fetch; a registry needs one or two (`latest` to a
/// versioned path, a CDN).
const MAX_REDIRECTS: usize = 10;

/// Reads the whole of `source`, refusing more than `kind`'s limit. Also returns where
/// the bytes really came from: after HTTP redirects, the final URL, against which
/// relative references resolve.
pub(crate) async fn fetch(
    source: &Source,
    kind: Kind,
    plain_http: PlainHttp,
) -> Result<(Vec<u8>, Source), RegistryError> {
    match source {
        Source::Path(path) => Ok((read_file(path, kind.limit()).await?, source.clone())),
        Source::Url(url) => {
            let (bytes, final_url) = fetch_url(url, kind, plain_http).await?;
            Ok((bytes, Source::Url(final_url)))
        }
    }
}

/// Refuses a plain-http `url` unless the caller allows it.
pub(crate) fn check_scheme(url: &Url, plain_http: PlainHttp) -> Result<(), RegistryError> {
    match (url.scheme(), plain_http) {
        ("https", _) | ("http", PlainHttp::Allow) => Ok(()),
        ("http", PlainHttp::Refuse) => Err(RegistryError::PlainHttp {
            url: url.to_string(),
        }),
        _ => Err(RegistryError::UnsupportedScheme {
            url: url.to_string(),
        }),
    }
}

/// Where a redirect from `from` to `location` leads, if it may be followed.
pub(crate) fn next_hop(
    from: &Url,
    location: &str,
    plain_http: PlainHttp,
) -> Result<Url, RegistryError> {
    let to = from
        .join(location)
        .map_err(|source| RegistryError::InvalidUrl {
            input: location.to_owned(),
            source,
        })?;
    if from.scheme() == "https" && to.scheme() == "http" {
        return Err(RegistryError::InsecureRedirect {
            from: from.to_string(),
            to: to.to_string(),
        });
    }
    check_scheme(&to, plain_http)?;
    Ok(to)
}

async fn read_file(path: &Path, limit: u64) -> Result<Vec<u8>, RegistryError> {
    let io_error = |source| RegistryError::Io {
        path: path.to_owned(),
        source,
    };
    let file = tokio::fs::File::open(path).await.map_err(io_error)?;
    let mut bytes = Vec::new();
    // One byte past the limit tells "exactly at the limit" from "over it".
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(io_error)?;
    if bytes.len() as u64 > limit {
        return Err(RegistryError::TooLarge {
            location: path.display().to_string(),
            limit,
        });
    }
    Ok(bytes)
}

async fn fetch_url(
    url: &Url,
    kind: Kind,
    plain_http: PlainHttp,
) -> Result<(Vec<u8>, Url), RegistryError> {
    check_scheme(url, plain_http)?;
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("switchboard-registry/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(READ_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none());
    for root in extra_roots()? {
        builder = builder.add_root_certificate(root);
    }
    let client = builder.build().map_err(|source| RegistryError::Fetch {
        url: url.to_string(),
        source,
    })?;
    // One budget for the whole fetch, redirects included.
    let deadline = Instant::now() + kind.total_timeout();
    let mut current = url.clone();
    for _ in 0..=MAX_REDIRECTS {
        let fetch_error = |source| RegistryError::Fetch {
            url: current.to_string(),
            source,
        };
        let mut response = client
            .get(current.clone())
            .timeout(deadline.saturating_duration_since(Instant::now()))
            .send()
            .await
            .map_err(fetch_error)?;
        let status = response.status();
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|value| value.to_str().ok());
        if is_redirect(status.as_u16())
            && let Some(location) = location
        {
            current = next_hop(&current, location, plain_http)?;
            continue;
        }
        if !status.is_success() {
            return Err(RegistryError::HttpStatus {
                url: current.to_string(),
                status: status.as_u16(),
            });
        }
        let limit = kind.limit();
        let too_large = || RegistryError::TooLarge {
            location: current.to_string(),
            limit,
        };
        if response.content_length().is_some_and(|len| len > limit) {
            return Err(too_large());
        }
        let mut bytes = Vec::new();
        // Content-Length may be absent or wrong, so the limit is enforced on what arrives.
        while let Some(chunk) = response.chunk().await.map_err(fetch_error)? {
            if (bytes.len() + chunk.len()) as u64 > limit {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok((bytes, current));
    }
    Err(RegistryError::TooManyRedirects {
        url: url.to_string(),
        limit: MAX_REDIRECTS,
    })
}

/// The certificates of `SWITCHBOARD_REGISTRY_CA`, if it is set.
fn extra_roots() -> Result<Vec<reqwest::Certificate>, RegistryError> {
    let Some(path) = std::env::var_os(REGISTRY_CA_ENV) else {
        return Ok(Vec::new());
    };
    let shown = path.to_string_lossy().into_owned();
    let problem = |problem: String| RegistryError::TrustRoots {
        path: shown.clone(),
        problem,
    };
    let pem = std::fs::read(&path).map_err(|e| problem(e.to_string()))?;
    let roots = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| problem(e.to_string()))?;
    if roots.is_empty() {
        return Err(problem("no PEM certificate in the file".to_owned()));
    }
    Ok(roots)
}

fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("test url")
    }

    #[test]
    fn plain_http_needs_to_be_allowed() {
        let http = url("http://registry.example/index.json");
        assert!(matches!(
            check_scheme(&http, PlainHttp::Refuse),
            Err(RegistryError::PlainHttp { .. })
        ));
        assert!(check_scheme(&http, PlainHttp::Allow).is_ok());
        assert!(check_scheme(&url("https://registry.example/i.json"), PlainHttp::Refuse).is_ok());
    }

    #[test]
    fn a_redirect_from_https_to_http_is_never_followed() {
        let from = url("https://registry.example/latest.json");
        for plain_http in [PlainHttp::Refuse, PlainHttp::Allow] {
            let err = next_hop(&from, "http://registry.example/v2/index.json", plain_http)
                .expect_err("downgrade");
            assert!(
                matches!(&err, RegistryError::InsecureRedirect { to, .. }
                    if to == "http://registry.example/v2/index.json"),
                "{err:?}"
            );
            assert!(err.to_string().contains(from.as_str()), "{err}");
        }
    }

    #[test]
    fn redirects_within_what_is_allowed_are_followed() {
        let https = url("https://registry.example/latest.json");
        assert_eq!(
            next_hop(&https, "/v2/index.json", PlainHttp::Refuse).expect("same origin"),
            url("https://registry.example/v2/index.json")
        );
        assert_eq!(
            next_hop(&https, "https://cdn.example/i.json", PlainHttp::Refuse).expect("https"),
            url("https://cdn.example/i.json")
        );
        let http = url("http://127.0.0.1:8000/latest.json");
        assert_eq!(
            next_hop(&http, "/v2/index.json", PlainHttp::Allow).expect("http allowed"),
            url("http://127.0.0.1:8000/v2/index.json")
        );
        assert_eq!(
            next_hop(&http, "https://cdn.example/i.json", PlainHttp::Allow).expect("upgrade"),
            url("https://cdn.example/i.json")
        );
        assert!(matches!(
            next_hop(&https, "ftp://cdn.example/i.json", PlainHttp::Allow),
            Err(RegistryError::UnsupportedScheme { .. })
        ));
    }
}
