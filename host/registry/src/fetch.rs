//! Reading bytes from a path or an http(s) URL, bounded in size and time.

use std::path::Path;
use std::time::Duration;

use tokio::io::AsyncReadExt as _;
use url::Url;

use crate::error::RegistryError;
use crate::source::Source;

/// What is being fetched; each kind has its own size and time budget.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Index,
    Artifact,
}

impl Kind {
    /// An index is a list of small manifests; 8 MiB is thousands of versions.
    const INDEX_LIMIT: u64 = 8 << 20;
    /// Channel components are a few MiB; the cap keeps a hostile or broken server from
    /// filling memory, since the whole artifact is hashed before it is written.
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

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest silence between two reads of one response.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Reads the whole of `source`, refusing more than `kind`'s limit. Also returns where
/// the bytes really came from: after HTTP redirects, the final URL, against which
/// relative references resolve.
pub(crate) async fn fetch(source: &Source, kind: Kind) -> Result<(Vec<u8>, Source), RegistryError> {
    match source {
        Source::Path(path) => Ok((read_file(path, kind.limit()).await?, source.clone())),
        Source::Url(url) => {
            let (bytes, final_url) = fetch_url(url, kind).await?;
            Ok((bytes, Source::Url(final_url)))
        }
    }
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

async fn fetch_url(url: &Url, kind: Kind) -> Result<(Vec<u8>, Url), RegistryError> {
    let fetch_error = |source| RegistryError::Fetch {
        url: url.to_string(),
        source,
    };
    let client = reqwest::Client::builder()
        .user_agent(concat!("switchboard-registry/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(READ_TIMEOUT)
        .timeout(kind.total_timeout())
        .build()
        .map_err(fetch_error)?;
    let mut response = client.get(url.clone()).send().await.map_err(fetch_error)?;
    let status = response.status();
    if !status.is_success() {
        return Err(RegistryError::HttpStatus {
            url: url.to_string(),
            status: status.as_u16(),
        });
    }
    let limit = kind.limit();
    let too_large = || RegistryError::TooLarge {
        location: url.to_string(),
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
    Ok((bytes, response.url().clone()))
}
