//! What one channel instance may reach, and with which secrets.

use std::collections::BTreeMap;
use std::fmt;

use http::Method;
use switchboard_types::{FetchError, HttpCapability, OutgoingRequest};
use url::{Origin, Url};

use crate::error::{GrantProblem, PolicyError};
use crate::path::Ambiguity;
use crate::placement::Placement;
use crate::secret::{Redactor, Secret};

/// One channel instance's outbound permissions and secrets. Built once at startup.
pub struct Policy {
    grants: Vec<Grant>,
    secrets: BTreeMap<String, Secret>,
    /// Where each secret may be filled in; a secret without any goes nowhere.
    placements: BTreeMap<String, Vec<Placement>>,
    redactor: Redactor,
}

/// Who granted an origin; decides whether restricted addresses are reachable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GrantedBy {
    /// A capability the manifest requested: public addresses only.
    Manifest,
    /// An origin the operator added in config: it may be private or loopback, for
    /// instance a local mock of the platform API.
    Operator,
}

#[derive(Debug)]
struct Grant {
    origin: Origin,
    /// Normalised: `/` or a path without a trailing slash.
    path_prefix: String,
    /// Empty means any method.
    methods: Vec<Method>,
    by: GrantedBy,
}

impl Policy {
    /// Builds a policy.
    ///
    /// `requested`: the manifest's capabilities (public addresses only).
    /// `operator_grants`: origins the operator added in config, each
    /// `scheme://host[:port][/path-prefix]`; these may be private or loopback.
    /// `secrets`: name → value for `{{secret:NAME}}` placeholders, each with the
    /// placements its manifest declares (checked against `requested`).
    pub fn new(
        requested: &[HttpCapability],
        operator_grants: &[String],
        secrets: BTreeMap<String, Secret>,
    ) -> Result<Policy, PolicyError> {
        let mut grants = Vec::with_capacity(requested.len() + operator_grants.len());
        for capability in requested {
            grants.push(manifest_grant(capability)?);
        }
        for grant in operator_grants {
            grants.push(operator_grant(grant)?);
        }
        if let Some((name, _)) = secrets.iter().find(|(_, s)| s.expose().is_empty()) {
            return Err(PolicyError::EmptySecret { name: name.clone() });
        }
        let mut placements = BTreeMap::new();
        for (name, secret) in &secrets {
            let mut compiled = Vec::with_capacity(secret.placements().len());
            for (index, placement) in secret.placements().iter().enumerate() {
                let checked =
                    placement
                        .compile(requested)
                        .map_err(|problem| PolicyError::Placement {
                            secret: name.clone(),
                            index,
                            problem,
                        })?;
                compiled.push(checked);
            }
            placements.insert(name.clone(), compiled);
        }
        let redactor = Redactor::new(secrets.values().map(Secret::expose));
        Ok(Policy {
            grants,
            secrets,
            placements,
            redactor,
        })
    }

    /// Whether `request` would be allowed out, without sending it: the same checks
    /// as a fetch (method, grant, secret placements, literal addresses), so a tool
    /// that runs a channel without a network can say what the daemon would refuse.
    /// Name resolution is not checked: a name that resolves to a restricted address
    /// is refused only when the request is really sent.
    pub fn check(&self, request: &OutgoingRequest) -> Result<(), FetchError> {
        crate::prepare::prepare(self, request.clone()).map(drop)
    }

    /// Every secret value, for redacting logs elsewhere.
    pub fn secret_values(&self) -> impl Iterator<Item = &str> {
        self.secrets.values().map(Secret::expose)
    }

    pub(crate) fn secret(&self, name: &str) -> Option<&Secret> {
        self.secrets.get(name)
    }

    /// The checked placements of secret `name` (none for an unknown name).
    pub(crate) fn placements(&self, name: &str) -> &[Placement] {
        self.placements.get(name).map_or(&[], Vec::as_slice)
    }

    pub(crate) fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// Finds a grant for `method` on `url`, or says which part is not granted.
    ///
    /// `path` is the request path as written, for the refusal to show and for the
    /// ambiguity check: under a prefix other than `/`, a path that a server may read
    /// as another path is refused. When several grants match, an operator grant
    /// wins: the operator said this origin is fine wherever it points.
    pub(crate) fn authorize(
        &self,
        method: &Method,
        url: &Url,
        path: &WrittenPath,
    ) -> Result<GrantedBy, String> {
        let origin = url.origin();
        let same_origin: Vec<&Grant> = self.grants.iter().filter(|g| g.origin == origin).collect();
        if same_origin.is_empty() {
            return Err(format!(
                "origin {} is not granted",
                origin.ascii_serialization()
            ));
        }
        let in_path: Vec<&Grant> = same_origin
            .iter()
            .copied()
            .filter(|g| {
                g.path_prefix == "/"
                    || (path.ambiguity.is_none() && path_within(url.path(), &g.path_prefix))
            })
            .collect();
        if in_path.is_empty() {
            let prefixes: Vec<&str> = same_origin.iter().map(|g| g.path_prefix.as_str()).collect();
            let prefixes = prefixes.join(", ");
            let origin = origin.ascii_serialization();
            let shown = &path.shown;
            return Err(match &path.ambiguity {
                Some(ambiguity) => format!(
                    "path {shown} holds {ambiguity}, which a server may read as another path; \
                     it is refused under the granted prefixes of {origin} ({prefixes})"
                ),
                None => {
                    format!("path {shown} is outside the granted prefixes of {origin} ({prefixes})")
                }
            });
        }
        let allowed = in_path
            .iter()
            .filter(|g| g.methods.is_empty() || g.methods.contains(method))
            .map(|g| g.by);
        match allowed.max_by_key(|by| *by == GrantedBy::Operator) {
            Some(by) => Ok(by),
            None => Err(format!(
                "method {method} is not granted for {}{}",
                origin.ascii_serialization(),
                path.shown
            )),
        }
    }
}

/// A request path as the guest wrote it, and what in it a server may read
/// differently from the host.
pub(crate) struct WrittenPath {
    /// What a refusal shows: secret placeholders as written, never their values.
    pub(crate) shown: String,
    pub(crate) ambiguity: Option<Ambiguity>,
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Policy")
            .field("grants", &self.grants)
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// Segment-aware: `/v1` allows `/v1` and `/v1/x`, not `/v10`.
fn path_within(path: &str, prefix: &str) -> bool {
    prefix == "/"
        || path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

fn manifest_grant(capability: &HttpCapability) -> Result<Grant, PolicyError> {
    let grant = &capability.origin;
    let mut url = parse_origin(grant)?;
    if url.path() != "/" {
        return Err(invalid(grant, GrantProblem::Path));
    }
    let prefix = &capability.path_prefix;
    if !prefix.starts_with('/') || prefix.contains(['?', '#']) {
        return Err(PolicyError::InvalidPathPrefix {
            origin: grant.clone(),
            prefix: prefix.clone(),
        });
    }
    // Going through the URL parser gives the prefix the same percent-encoding and
    // dot-segment handling as the request paths it is compared with.
    url.set_path(prefix);
    let mut methods = Vec::with_capacity(capability.methods.len());
    for method in &capability.methods {
        let parsed =
            Method::from_bytes(method.as_bytes()).map_err(|source| PolicyError::InvalidMethod {
                origin: grant.clone(),
                method: method.clone(),
                source,
            })?;
        methods.push(parsed);
    }
    Ok(Grant {
        origin: url.origin(),
        path_prefix: normalise_prefix(url.path()),
        methods,
        by: GrantedBy::Manifest,
    })
}

fn operator_grant(grant: &str) -> Result<Grant, PolicyError> {
    let url = parse_origin(grant)?;
    Ok(Grant {
        origin: url.origin(),
        path_prefix: normalise_prefix(url.path()),
        methods: Vec::new(),
        by: GrantedBy::Operator,
    })
}

fn parse_origin(grant: &str) -> Result<Url, PolicyError> {
    let url = Url::parse(grant).map_err(|source| PolicyError::UnparsableOrigin {
        grant: grant.to_owned(),
        source,
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(grant, GrantProblem::UnsupportedScheme));
    }
    if url.host().is_none() {
        return Err(invalid(grant, GrantProblem::MissingHost));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(grant, GrantProblem::Userinfo));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(grant, GrantProblem::QueryOrFragment));
    }
    Ok(url)
}

fn invalid(grant: &str, problem: GrantProblem) -> PolicyError {
    PolicyError::InvalidOrigin {
        grant: grant.to_owned(),
        problem,
    }
}

fn normalise_prefix(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        "/".to_owned()
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capability(origin: &str, prefix: &str, methods: &[&str]) -> HttpCapability {
        HttpCapability {
            origin: origin.to_owned(),
            path_prefix: prefix.to_owned(),
            methods: methods.iter().map(|m| (*m).to_owned()).collect(),
        }
    }

    fn policy(requested: &[HttpCapability], operator: &[&str]) -> Policy {
        let operator: Vec<String> = operator.iter().map(|g| (*g).to_owned()).collect();
        Policy::new(requested, &operator, BTreeMap::new()).expect("valid policy")
    }

    fn check(policy: &Policy, method: &str, raw: &str) -> Result<GrantedBy, String> {
        let url = Url::parse(raw).expect("test url");
        let method = Method::from_bytes(method.as_bytes()).expect("test method");
        let written = crate::path::written_path(raw);
        let path = WrittenPath {
            ambiguity: crate::path::find_ambiguity(&written),
            shown: written,
        };
        policy.authorize(&method, &url, &path)
    }

    #[test]
    fn prefix_matching_is_segment_aware() {
        let p = policy(&[capability("https://api.example.com", "/v1", &[])], &[]);
        assert_eq!(
            check(&p, "GET", "https://api.example.com/v1"),
            Ok(GrantedBy::Manifest)
        );
        assert_eq!(
            check(&p, "GET", "https://api.example.com/v1/x"),
            Ok(GrantedBy::Manifest)
        );
        let err = check(&p, "GET", "https://api.example.com/v10").expect_err("not within /v1");
        assert_eq!(
            err,
            "path /v10 is outside the granted prefixes of https://api.example.com (/v1)"
        );
        // Paths a server may read as another path are refused, naming what.
        for (raw, what) in [
            (
                "https://api.example.com/v1/%2e%2e/admin",
                "a dot segment `%2e%2e`",
            ),
            (
                "https://api.example.com/v1/..%2Fadmin",
                "an encoded slash `%2F`",
            ),
            ("https://api.example.com/v1/..;/admin", "a `;` parameter"),
            ("https://api.example.com/v1\\..\\admin", "a backslash"),
        ] {
            let err = check(&p, "GET", raw).expect_err("ambiguous");
            assert!(err.contains(what), "{raw}: {err}");
            assert!(err.ends_with("(/v1)"), "{raw}: {err}");
        }
    }

    #[test]
    fn a_root_prefix_has_nothing_to_escape_from() {
        let p = policy(&[capability("https://api.example.com", "/", &[])], &[]);
        // GitLab-style ids keep working where the whole origin is granted.
        assert!(check(&p, "GET", "https://api.example.com/projects/a%2Fb").is_ok());
    }

    #[test]
    fn default_ports_and_host_case_are_normalised() {
        let p = policy(&[capability("https://API.example.com:443", "/", &[])], &[]);
        assert!(check(&p, "GET", "https://api.example.com/x").is_ok());
        assert!(check(&p, "GET", "https://api.example.com:443/x").is_ok());
        assert_eq!(
            check(&p, "GET", "https://api.example.com:8443/x"),
            Err("origin https://api.example.com:8443 is not granted".to_owned())
        );
        assert!(check(&p, "GET", "http://api.example.com/x").is_err());
    }

    #[test]
    fn methods_are_checked_and_empty_means_any() {
        let p = policy(
            &[
                capability("https://a.example", "/", &["POST"]),
                capability("https://b.example", "/", &[]),
            ],
            &[],
        );
        assert!(check(&p, "POST", "https://a.example/send").is_ok());
        assert_eq!(
            check(&p, "DELETE", "https://a.example/send"),
            Err("method DELETE is not granted for https://a.example/send".to_owned())
        );
        assert!(check(&p, "DELETE", "https://b.example/x").is_ok());
    }

    #[test]
    fn operator_grants_carry_a_path_prefix_and_win_over_the_manifest() {
        let p = policy(
            &[capability("http://127.0.0.1:9999", "/", &[])],
            &["http://127.0.0.1:9999/mock/"],
        );
        assert_eq!(
            check(&p, "GET", "http://127.0.0.1:9999/mock/x"),
            Ok(GrantedBy::Operator)
        );
        assert_eq!(
            check(&p, "GET", "http://127.0.0.1:9999/other"),
            Ok(GrantedBy::Manifest)
        );
    }

    #[test]
    fn bad_grants_name_the_offending_string() {
        let err = |requested: &[HttpCapability], operator: &[&str]| {
            let operator: Vec<String> = operator.iter().map(|g| (*g).to_owned()).collect();
            Policy::new(requested, &operator, BTreeMap::new())
                .expect_err("invalid")
                .to_string()
        };
        assert_eq!(
            err(&[], &["ftp://x"]),
            r#"invalid origin "ftp://x": unsupported scheme"#
        );
        assert_eq!(err(&[], &["not a url"]), r#"invalid origin "not a url""#);
        assert_eq!(
            err(&[], &["https://user:pw@x.example"]),
            r#"invalid origin "https://user:pw@x.example": userinfo is not allowed"#
        );
        assert_eq!(
            err(&[], &["https://x.example/?q=1"]),
            r#"invalid origin "https://x.example/?q=1": query and fragment are not allowed"#
        );
        assert!(err(&[capability("https://x.example/v1", "/", &[])], &[]).contains("no path"));
        assert!(err(&[capability("https://x.example", "v1", &[])], &[]).contains("path prefix"));
        assert!(err(&[capability("https://x.example", "/", &["GE T"])], &[]).contains("method"));
    }

    #[test]
    fn secrets_are_listed_but_never_debug_printed() {
        let secrets = BTreeMap::from([("token".to_owned(), Secret::new("s3cr3t"))]);
        let p = Policy::new(&[], &[], secrets).expect("valid policy");
        assert_eq!(p.secret_values().collect::<Vec<_>>(), ["s3cr3t"]);
        assert!(!format!("{p:?}").contains("s3cr3t"));
        let empty = BTreeMap::from([("token".to_owned(), Secret::new(""))]);
        assert!(matches!(
            Policy::new(&[], &[], empty),
            Err(PolicyError::EmptySecret { name }) if name == "token"
        ));
    }
}
