//! Where an index or an artifact comes from, and loading an index from there.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use url::Url;

use crate::error::RegistryError;
use crate::fetch::{self, Kind, PlainHttp};
use crate::index::{ComponentEntry, Index, VersionEntry};

/// A local file or a remote http(s) URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A local file (`file:` URLs are turned into paths).
    Path(PathBuf),
    /// An `http:` or `https:` URL.
    Url(Url),
}

impl Source {
    /// Parses the CLI's `PATH_OR_URL`, or an index entry's `artifact`.
    ///
    /// `http:`/`https:` text is a URL, `file:` text becomes a path, any other
    /// `scheme:` is refused, and everything else is a path. A scheme needs at least two
    /// characters, so a Windows drive letter (`C:\...`) stays a path; a relative path
    /// whose first segment contains `:` has to be written as `./name:with:colons`.
    pub fn parse(text: &str) -> Result<Self, RegistryError> {
        let Some(scheme) = text
            .split_once(':')
            .map(|(s, _)| s)
            .filter(|s| is_scheme(s))
        else {
            return Ok(Source::Path(PathBuf::from(text)));
        };
        let parse_url = || {
            Url::parse(text).map_err(|source| RegistryError::InvalidUrl {
                input: text.to_owned(),
                source,
            })
        };
        match scheme.to_ascii_lowercase().as_str() {
            "http" | "https" => Ok(Source::Url(parse_url()?)),
            "file" => {
                let url = parse_url()?;
                let path = url
                    .to_file_path()
                    .map_err(|()| RegistryError::NotALocalFile {
                        url: text.to_owned(),
                    })?;
                Ok(Source::Path(path))
            }
            _ => Err(RegistryError::UnsupportedScheme {
                url: text.to_owned(),
            }),
        }
    }
}

fn is_scheme(text: &str) -> bool {
    let mut bytes = text.bytes();
    text.len() > 1
        && bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

impl FromStr for Source {
    type Err = RegistryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Path(path) => write!(f, "{}", path.display()),
            Source::Url(url) => write!(f, "{url}"),
        }
    }
}

/// An index together with where it was loaded from, so that relative artifact paths
/// can be resolved.
#[derive(Debug, Clone)]
pub struct LoadedIndex {
    index: Index,
    source: Source,
    plain_http: PlainHttp,
}

/// Loads and parses the index at `src`.
///
/// A local directory stands for the `index.json` inside it. An index larger than
/// 8 MiB is refused. Each version's manifest is checked when it is installed, not
/// here, so that one broken entry does not hide the rest of a registry.
///
/// `plain_http` says whether an `http:` URL may be fetched; it applies to the index,
/// its redirects, and later to the artifacts it lists.
pub async fn load_index(src: &Source, plain_http: PlainHttp) -> Result<LoadedIndex, RegistryError> {
    let source = match src {
        Source::Path(path) if is_dir(path).await => Source::Path(path.join("index.json")),
        other => other.clone(),
    };
    let (bytes, source) = fetch::fetch(&source, Kind::Index, plain_http).await?;
    let index = Index::parse(&bytes, &source.to_string())?;
    Ok(LoadedIndex {
        index,
        source,
        plain_http,
    })
}

async fn is_dir(path: &Path) -> bool {
    // A path that cannot be inspected is reported, with its error, by the read that
    // follows, so the error is not lost here.
    tokio::fs::metadata(path)
        .await
        .is_ok_and(|meta| meta.is_dir())
}

impl LoadedIndex {
    /// The parsed index.
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// Where the index was read from: a directory is resolved to its `index.json`, and
    /// a URL to the final URL after redirects.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// Whether plain http was allowed when the index was loaded; artifacts are
    /// fetched under the same rule.
    pub fn plain_http(&self) -> PlainHttp {
        self.plain_http
    }

    /// The component called `name`, or [`RegistryError::NotFound`].
    pub fn component(&self, name: &str) -> Result<&ComponentEntry, RegistryError> {
        self.index
            .component(name)
            .ok_or_else(|| RegistryError::NotFound {
                name: name.to_owned(),
                index: self.source.to_string(),
            })
    }

    /// Where the artifact of `entry` (a version of component `name`) is.
    ///
    /// Relative paths are resolved against the index's own location, so a relative
    /// entry in a remote index is fetched from the same server. A remote index may not
    /// point at local files.
    pub fn artifact_source(
        &self,
        name: &str,
        entry: &VersionEntry,
    ) -> Result<Source, RegistryError> {
        let artifact = entry.artifact.as_str();
        match (Source::parse(artifact)?, &self.source) {
            (Source::Url(url), _) => Ok(Source::Url(url)),
            // `file:` URLs always become absolute paths, so this covers both spellings.
            (Source::Path(path), Source::Url(_)) if path.is_absolute() => {
                Err(RegistryError::LocalArtifactFromRemoteIndex {
                    index: self.source.to_string(),
                    name: name.to_owned(),
                    version: entry.version.clone(),
                    artifact: artifact.to_owned(),
                })
            }
            (Source::Path(_), Source::Url(base)) => {
                base.join(artifact)
                    .map(Source::Url)
                    .map_err(|source| RegistryError::InvalidUrl {
                        input: artifact.to_owned(),
                        source,
                    })
            }
            (Source::Path(path), Source::Path(index)) => {
                let dir = index.parent().unwrap_or(Path::new(""));
                Ok(Source::Path(dir.join(path)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_text_is_classified() {
        let parse = |t: &str| Source::parse(t).expect(t);
        assert_eq!(
            parse("reg/index.json"),
            Source::Path("reg/index.json".into())
        );
        assert_eq!(
            parse("/abs/index.json"),
            Source::Path("/abs/index.json".into())
        );
        assert_eq!(
            parse("file:///abs/index.json"),
            Source::Path("/abs/index.json".into())
        );
        assert!(matches!(
            parse("https://example.org/i.json"),
            Source::Url(_)
        ));
        assert!(matches!(parse("HTTP://example.org/i.json"), Source::Url(_)));
        assert!(matches!(
            Source::parse("ftp://example.org/i.json"),
            Err(RegistryError::UnsupportedScheme { .. })
        ));
        assert!(matches!(
            Source::parse("file://remote-host/i.json"),
            Err(RegistryError::NotALocalFile { .. })
        ));
    }
}
