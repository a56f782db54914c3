//! Why a registry operation failed.
//!
//! Every message names the file, URL, component, version or key at fault, so that the
//! CLI can print it as is.

use std::path::PathBuf;

use semver::{Version, VersionReq};

use crate::ceilings::Exceeded;
use crate::digest::Sha256Digest;
use crate::fetch::REGISTRY_CA_ENV;
use crate::wit::WitSupport;

/// A failed registry operation: loading an index, installing, uninstalling, reading the
/// installed set or building an index.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The index has no component of that name.
    #[error("the registry index {index} has no component named `{name}`")]
    NotFound {
        /// The requested component.
        name: String,
        /// Where the index was loaded from.
        index: String,
    },
    /// The component exists but none of its versions matches the request.
    #[error(
        "no version of `{name}` matches `{requested}` (available: {})",
        list_versions(available)
    )]
    NoMatchingVersion {
        /// The requested component.
        name: String,
        /// The requested versions (`*` when none was given).
        requested: VersionReq,
        /// Every version the index lists for the component.
        available: Vec<Version>,
    },
    /// The newest matching version targets a WIT package this host cannot run, and no
    /// older matching version can run either.
    #[error("{name} {version} targets switchboard:channel@{wit}; this host supports {supported}")]
    IncompatibleWit {
        /// The component.
        name: String,
        /// The newest version that matched the request.
        version: Version,
        /// The WIT version that version targets.
        wit: Version,
        /// What the host can run.
        supported: WitSupport,
    },
    /// The artifact's bytes do not hash to the digest the index promises.
    #[error(
        "checksum mismatch for {name} {version}: the index says sha256 {expected}, the artifact is {actual}"
    )]
    ChecksumMismatch {
        /// The component.
        name: String,
        /// The version being installed.
        version: Version,
        /// The digest in the index.
        expected: Sha256Digest,
        /// The digest of the bytes that were fetched.
        actual: Sha256Digest,
    },
    /// A manifest asks for limits above the host's ceilings.
    #[error(
        "the manifest of {name} {version} asks for more than this host allows: {}",
        list_exceeded(exceeded)
    )]
    AboveCeiling {
        /// The component.
        name: String,
        /// The version.
        version: Version,
        /// Every limit above its ceiling.
        exceeded: Vec<Exceeded>,
    },
    /// An index entry and the manifest it embeds disagree.
    #[error(
        "index entry {name} {version}: the entry says {field} `{entry}` but its manifest says `{manifest}`"
    )]
    ManifestMismatch {
        /// The component, as the index entry names it.
        name: String,
        /// The version, as the index entry states it.
        version: Version,
        /// The disagreeing key: `name`, `version` or `wit`.
        field: &'static str,
        /// The entry's value.
        entry: String,
        /// The manifest's value.
        manifest: String,
    },
    /// The manifest embedded in an index entry is invalid.
    #[error("the manifest of {name} {version} is invalid")]
    InvalidManifest {
        /// The component.
        name: String,
        /// The version.
        version: Version,
        /// What is wrong with it.
        #[source]
        source: ManifestError,
    },
    /// A manifest file is invalid.
    #[error("the manifest {path} is invalid")]
    InvalidManifestFile {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        source: ManifestError,
    },
    /// The index lists a component, or a version of one, twice.
    #[error("the registry index {index} lists {what} twice")]
    Duplicate {
        /// Where the index was loaded from (or is being written to).
        index: String,
        /// The repeated component name, or `name version`.
        what: String,
    },
    /// The index was written for a format this build does not understand.
    #[error(
        "the registry index {index} has schema_version {found}; this build supports {supported}"
    )]
    UnsupportedSchema {
        /// Where the index was loaded from.
        index: String,
        /// The index's `schema_version`.
        found: u64,
        /// The one version this build reads and writes.
        supported: u64,
    },
    /// The `PATH_OR_URL` of a registry or the `artifact` of an entry uses a URL scheme
    /// other than `file`, `http` or `https`.
    #[error("unsupported url scheme in `{url}`: use a path, a file: url or an http(s): url")]
    UnsupportedScheme {
        /// The offending location.
        url: String,
    },
    /// A location that looked like a URL did not parse as one.
    #[error("`{input}` is not a valid url")]
    InvalidUrl {
        /// The offending text.
        input: String,
        /// Why it did not parse.
        #[source]
        source: url::ParseError,
    },
    /// A `file:` URL that names no local path (for example one with a remote host).
    #[error("`{url}` does not name a local file")]
    NotALocalFile {
        /// The offending URL.
        url: String,
    },
    /// A remote index points at a local file; only an operator's own index may do that.
    #[error(
        "the remote registry index {index} points {name} {version} at the local file `{artifact}`"
    )]
    LocalArtifactFromRemoteIndex {
        /// Where the index was loaded from.
        index: String,
        /// The component.
        name: String,
        /// The version.
        version: Version,
        /// The entry's `artifact`.
        artifact: String,
    },
    /// An HTTP request failed before a status was received, or while reading the body.
    #[error("fetching {url} failed")]
    Fetch {
        /// The requested URL.
        url: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// A plain `http:` index, artifact or redirect target, and plain http was not
    /// allowed.
    #[error(
        "refusing to fetch {url} over plain http: anyone on the network path could read or change it; use https, or allow plain http explicitly (--allow-http)"
    )]
    PlainHttp {
        /// The refused URL.
        url: String,
    },
    /// The extra trust roots named by `SWITCHBOARD_REGISTRY_CA` could not be used.
    #[error("{REGISTRY_CA_ENV}={path}: {problem}")]
    TrustRoots {
        /// The file named.
        path: String,
        /// What is wrong with it.
        problem: String,
    },
    /// An `https:` URL redirected to a plain `http:` one.
    #[error("{from} redirects to {to}: a redirect from https to plain http is never followed")]
    InsecureRedirect {
        /// The URL that answered with the redirect.
        from: String,
        /// Where it pointed.
        to: String,
    },
    /// A fetch was redirected more often than the limit.
    #[error("fetching {url} failed: more than {limit} redirects")]
    TooManyRedirects {
        /// The URL first requested.
        url: String,
        /// The most redirects followed.
        limit: usize,
    },
    /// The server answered with a non-2xx status.
    #[error("fetching {url} failed: http status {status}")]
    HttpStatus {
        /// The requested URL.
        url: String,
        /// The status received.
        status: u16,
    },
    /// A download or file is larger than the limit for its kind.
    #[error("{location} is larger than the {limit}-byte limit")]
    TooLarge {
        /// The URL or path.
        location: String,
        /// The limit that was exceeded.
        limit: u64,
    },
    /// A file or directory could not be read or written.
    #[error("{path}: i/o error")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A JSON document did not parse, or did not have the expected shape.
    #[error("{path_or_url}: invalid json")]
    Json {
        /// The file or URL the document came from.
        path_or_url: String,
        /// Where and why parsing failed.
        #[source]
        source: serde_json::Error,
    },
    /// Another command installed or removed the component between choosing what to
    /// install and recording it.
    #[error(
        "`{name}` was installed or removed in {data_dir} by another command while this install ran; nothing was recorded, run the install again"
    )]
    ChangedMeanwhile {
        /// The component.
        name: String,
        /// The data directory.
        data_dir: PathBuf,
    },
    /// `uninstall` was asked for a component that is not installed.
    #[error("`{name}` is not installed in {data_dir}")]
    NotInstalled {
        /// The component.
        name: String,
        /// The data directory searched.
        data_dir: PathBuf,
    },
    /// An `installed.json` record names an artifact outside the components directory.
    #[error(
        "{path}: the artifact `{artifact}` of `{name}` is not a relative path inside the components directory"
    )]
    UnsafeArtifactPath {
        /// The `installed.json` file.
        path: PathBuf,
        /// The component whose record is at fault.
        name: String,
        /// The recorded artifact path.
        artifact: String,
    },
    /// A path that has to be written into an index is not UTF-8.
    #[error("{path}: the path is not valid utf-8 and cannot be written into an index")]
    NonUtf8Path {
        /// The offending path.
        path: PathBuf,
    },
    /// `name@version` did not parse.
    #[error("`{spec}` is not a component name with an optional @version requirement")]
    InvalidSpec {
        /// The offending text.
        spec: String,
        /// Why the version requirement did not parse.
        #[source]
        source: semver::Error,
    },
    /// The background task that writes the data directory was cancelled because the
    /// runtime shut down.
    #[error("the install into {data_dir} was cancelled")]
    Cancelled {
        /// The data directory being written.
        data_dir: PathBuf,
        /// The cancellation.
        #[source]
        source: tokio::task::JoinError,
    },
}

/// Why a manifest is invalid.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// Names become directory names and config keys, so they are kept to a safe set.
    #[error(
        "component name `{name}` must be 1 to {max} lower-case letters, digits and `-`, starting with a letter or digit",
        max = crate::manifest::MAX_NAME_LEN
    )]
    InvalidName {
        /// The offending name.
        name: String,
    },
    /// Two secrets share a name.
    #[error("secret `{name}` is declared twice")]
    DuplicateSecret {
        /// The repeated name.
        name: String,
    },
    /// Two settings share a name.
    #[error("setting `{name}` is declared twice")]
    DuplicateSetting {
        /// The repeated name.
        name: String,
    },
    /// A verification scheme uses a secret the manifest does not declare.
    #[error("{used_by} uses secret `{secret}`, which is not declared in `secrets`")]
    UndeclaredSecret {
        /// The secret's name.
        secret: String,
        /// `verification.post` or `verification.get`.
        used_by: &'static str,
    },
    /// Verification cannot run without its secret, so that secret cannot be optional.
    #[error("{used_by} uses secret `{secret}`, which is declared with `required: false`")]
    OptionalVerificationSecret {
        /// The secret's name.
        secret: String,
        /// `verification.post` or `verification.get`.
        used_by: &'static str,
    },
    /// A secret's placement is unusable.
    #[error(
        "secret `{secret}`: placement[{index}]{field}: {problem}",
        field = problem.field().map(|f| format!(".{f}")).unwrap_or_default()
    )]
    InvalidPlacement {
        /// The secret's name.
        secret: String,
        /// The placement's position in the secret's `placement` list, from 0.
        index: usize,
        /// What is wrong with it.
        problem: switchboard_egress::PlacementProblem,
    },
    /// A verification secret may never be filled into an outbound request.
    #[error(
        "secret `{secret}` is used by {used_by}, so it is never sent anywhere; remove its `placement`"
    )]
    PlacedVerificationSecret {
        /// The secret's name.
        secret: String,
        /// `verification.post` or `verification.get`.
        used_by: &'static str,
    },
    /// A capability origin is not a URL.
    #[error("capability origin `{origin}` is not a url")]
    UnparsableOrigin {
        /// The offending origin.
        origin: String,
        /// Why it did not parse.
        #[source]
        source: url::ParseError,
    },
    /// A capability origin is a URL but not of the form `http(s)://host[:port]`.
    #[error(
        "capability origin `{origin}` must be `http(s)://host[:port]` with no path, query, fragment or credentials"
    )]
    NotAnOrigin {
        /// The offending origin.
        origin: String,
    },
    /// A capability's path prefix is not an absolute path.
    #[error("capability for `{origin}`: path_prefix `{path_prefix}` must start with `/`")]
    InvalidPathPrefix {
        /// The capability's origin.
        origin: String,
        /// The offending prefix.
        path_prefix: String,
    },
    /// A capability lists a method that is not an upper-case HTTP token.
    #[error("capability for `{origin}`: method `{method}` must be an upper-case http method")]
    InvalidMethod {
        /// The capability's origin.
        origin: String,
        /// The offending method.
        method: String,
    },
}

fn list_versions(versions: &[Version]) -> String {
    if versions.is_empty() {
        return "none".to_owned();
    }
    versions
        .iter()
        .map(Version::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn list_exceeded(exceeded: &[Exceeded]) -> String {
    exceeded
        .iter()
        .map(Exceeded::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
