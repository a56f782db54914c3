//! Where a secret may be filled in: the manifest's declaration, its validation,
//! and the check of one placeholder against it.
//!
//! A grant says where a request may go; a placement says where in that request a
//! secret may sit. Without placements, a component granted `api.telegram.org` could
//! put its bot token into the text of a message to any chat on that origin.

use std::fmt;

use http::HeaderName;
use serde::{Deserialize, Serialize};
use switchboard_types::HttpCapability;
use url::{Origin, Url};

use crate::prepare::FRAMING_HEADERS;

/// Where a template puts the secret's value.
pub const SECRET_MARK: &str = "{secret}";

/// One place a secret may be filled in, as a manifest declares it. Exactly one of
/// `header`, `path_segment`, `query` and `frame_field` is set.
///
/// JSON: `{"header": "authorization", "value": "Bearer {secret}", "origins":
/// ["https://graph.facebook.com"]}`, `{"path_segment": "bot{secret}"}`,
/// `{"query": "key"}`, `{"frame_field": "/d/token", "origins":
/// ["https://gateway.discord.gg"]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretPlacement {
    /// A request header, by name (any case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    /// With `header`: the whole header value, `{secret}` where the secret goes.
    /// Default `{secret}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// One whole path segment, `{secret}` where the secret goes, e.g. `bot{secret}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_segment: Option<String>,
    /// A query parameter, by name; the secret is its whole value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// A string field of a JSON frame sent over a session (WIT `session`), by JSON
    /// pointer (`/d/token`); the secret is the field's whole value. The origin is the
    /// session URL's `https` (or `http`) twin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_field: Option<String>,
    /// Origins of the manifest's capabilities that may receive the secret here.
    /// Origins the operator grants receive it wherever it is placed; with no
    /// `origins`, only they do.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub origins: Vec<String>,
}

/// Why a placement is unusable. Each names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlacementProblem {
    /// None of `header`, `path_segment`, `query` and `frame_field` is set.
    #[error("names no place: set one of `header`, `path_segment`, `query` or `frame_field`")]
    NoPlace,
    /// More than one of them is set.
    #[error("sets {0}: a placement names one place; add one placement per place")]
    SeveralPlaces(String),
    /// `value` without `header`.
    #[error("`value` only goes with `header`")]
    ValueWithoutHeader,
    /// A template without exactly one `{secret}`.
    #[error("`{field}` {template:?} must hold `{{secret}}` exactly once")]
    Template {
        /// `value` or `path_segment`.
        field: &'static str,
        /// The template as written.
        template: String,
    },
    /// Text around `{secret}`, or a parameter name, that would be encoded or read
    /// as structure in a URL.
    #[error(
        "`{field}` {text:?} may hold only letters, digits, `-`, `.`, `_` and `~` (besides `{{secret}}`)"
    )]
    UrlCharacters {
        /// `path_segment` or `query`.
        field: &'static str,
        /// The text as written.
        text: String,
    },
    /// A header value template with characters a header value cannot carry.
    #[error("`value` {0:?} holds characters a header value cannot carry")]
    HeaderValue(String),
    /// Not an HTTP header name.
    #[error("`header` {0:?} is not a valid header name")]
    HeaderName(String),
    /// A `frame_field` that is not a JSON pointer to a field.
    #[error("`frame_field` {0:?} must be a JSON pointer to a field, such as \"/d/token\"")]
    FramePointer(String),
    /// A header the host sets itself.
    #[error("`header` {0:?} is set by the host, never by a component")]
    ManagedHeader(String),
    /// An `origins` entry that is not `http(s)://host[:port]`.
    #[error("`origins` entry {0:?} is not an http(s)://host[:port] origin")]
    InvalidOrigin(String),
    /// An `origins` entry that no capability of the manifest requests.
    #[error("`origins` entry {0:?} is not the origin of any capability in `capabilities.http`")]
    UngrantedOrigin(String),
}

impl PlacementProblem {
    /// The field at fault, if it is a single one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            PlacementProblem::NoPlace | PlacementProblem::SeveralPlaces(_) => None,
            PlacementProblem::ValueWithoutHeader | PlacementProblem::HeaderValue(_) => {
                Some("value")
            }
            PlacementProblem::Template { field, .. }
            | PlacementProblem::UrlCharacters { field, .. } => Some(field),
            PlacementProblem::HeaderName(_) | PlacementProblem::ManagedHeader(_) => Some("header"),
            PlacementProblem::FramePointer(_) => Some("frame_field"),
            PlacementProblem::InvalidOrigin(_) | PlacementProblem::UngrantedOrigin(_) => {
                Some("origins")
            }
        }
    }
}

impl SecretPlacement {
    /// Checks the placement on its own and its origins against the manifest's
    /// capabilities (`requested`).
    pub fn check(&self, requested: &[HttpCapability]) -> Result<(), PlacementProblem> {
        self.compile(requested).map(|_| ())
    }

    pub(crate) fn compile(
        &self,
        requested: &[HttpCapability],
    ) -> Result<Placement, PlacementProblem> {
        let place = self.place()?;
        let mut origins = Vec::with_capacity(self.origins.len());
        for origin in &self.origins {
            let parsed = parse_origin(origin)
                .ok_or_else(|| PlacementProblem::InvalidOrigin(origin.clone()))?;
            let requested = requested
                .iter()
                .any(|c| parse_origin(&c.origin).as_ref() == Some(&parsed));
            if !requested {
                return Err(PlacementProblem::UngrantedOrigin(origin.clone()));
            }
            origins.push(parsed);
        }
        Ok(Placement { place, origins })
    }

    fn place(&self) -> Result<Place, PlacementProblem> {
        let set: Vec<&str> = [
            ("`header`", self.header.is_some()),
            ("`path_segment`", self.path_segment.is_some()),
            ("`query`", self.query.is_some()),
            ("`frame_field`", self.frame_field.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, is_set)| is_set.then_some(name))
        .collect();
        match set.as_slice() {
            [] => return Err(PlacementProblem::NoPlace),
            [_] => {}
            [init @ .., last] => {
                let names = format!("{} and {last}", init.join(", "));
                return Err(PlacementProblem::SeveralPlaces(names));
            }
        }
        if self.value.is_some() && self.header.is_none() {
            return Err(PlacementProblem::ValueWithoutHeader);
        }
        if let Some(name) = &self.header {
            let parsed = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| PlacementProblem::HeaderName(name.clone()))?;
            if parsed == http::header::HOST || FRAMING_HEADERS.contains(&parsed.as_str()) {
                return Err(PlacementProblem::ManagedHeader(name.clone()));
            }
            let value = self.value.clone().unwrap_or_else(|| SECRET_MARK.to_owned());
            let template = Template::parse("value", &value)?;
            let printable = |text: &str| text.bytes().all(|b| b == b' ' || b.is_ascii_graphic());
            if !printable(&template.before) || !printable(&template.after) {
                return Err(PlacementProblem::HeaderValue(value));
            }
            return Ok(Place::Header {
                name: parsed,
                value: template,
            });
        }
        if let Some(segment) = &self.path_segment {
            let template = Template::parse("path_segment", segment)?;
            if !is_unreserved(&template.before) || !is_unreserved(&template.after) {
                return Err(PlacementProblem::UrlCharacters {
                    field: "path_segment",
                    text: segment.clone(),
                });
            }
            return Ok(Place::PathSegment(template));
        }
        if let Some(pointer) = &self.frame_field {
            let fields: Vec<&str> = pointer.split('/').skip(1).collect();
            if !pointer.starts_with('/') || fields.iter().any(|f| f.is_empty()) {
                return Err(PlacementProblem::FramePointer(pointer.clone()));
            }
            return Ok(Place::FrameField(pointer.clone()));
        }
        let name = self.query.clone().unwrap_or_default();
        if name.is_empty() || !is_unreserved(&name) {
            return Err(PlacementProblem::UrlCharacters {
                field: "query",
                text: name,
            });
        }
        Ok(Place::Query(name))
    }
}

/// Letters, digits and `-._~`: text that a URL carries as it is, so the request can
/// be compared with the template as written.
fn is_unreserved(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

fn parse_origin(text: &str) -> Option<Origin> {
    let url = Url::parse(text).ok()?;
    let bare = matches!(url.scheme(), "http" | "https")
        && url.host().is_some()
        && url.username().is_empty()
        && url.password().is_none()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none();
    bare.then(|| url.origin())
}

/// Text around the one `{secret}` of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    before: String,
    after: String,
}

impl Template {
    fn parse(field: &'static str, text: &str) -> Result<Template, PlacementProblem> {
        let bad = || PlacementProblem::Template {
            field,
            template: text.to_owned(),
        };
        let (before, after) = text.split_once(SECRET_MARK).ok_or_else(bad)?;
        if after.contains(SECRET_MARK) || text.contains("{{secret:") {
            return Err(bad());
        }
        Ok(Template {
            before: before.to_owned(),
            after: after.to_owned(),
        })
    }

    /// Whether `text` is the template with `filler` where `{secret}` is.
    fn matches(&self, text: &str, filler: &str) -> bool {
        text.strip_prefix(self.before.as_str())
            .and_then(|rest| rest.strip_suffix(self.after.as_str()))
            == Some(filler)
    }
}

/// A checked placement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Placement {
    place: Place,
    origins: Vec<Origin>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Place {
    Header {
        name: HeaderName,
        value: Template,
    },
    PathSegment(Template),
    Query(String),
    /// A JSON pointer into a session frame.
    FrameField(String),
}

/// Where one placeholder sits in a request. `filler` is the exact text that stands
/// for the placeholder in `text`: the placeholder itself in a header value, its
/// inert marker in the URL.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Spot<'a> {
    Header {
        name: &'a HeaderName,
        value: &'a str,
        filler: &'a str,
    },
    PathSegment {
        segment: &'a str,
        filler: &'a str,
        /// The segment as a refusal may show it (placeholders as written).
        shown: &'a str,
    },
    Query {
        name: &'a str,
        value: &'a str,
        filler: &'a str,
    },
    /// Inside a query parameter's name, where no secret ever goes.
    QueryName,
    /// The string field at `pointer` of a JSON frame; `value` is the field's value.
    FrameField { pointer: &'a str, value: &'a str },
}

impl fmt::Display for Spot<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Spot::Header { name, .. } => write!(f, "the header `{name}`"),
            Spot::PathSegment { shown, .. } => write!(f, "the path segment `{shown}`"),
            Spot::Query { name, .. } => write!(f, "the query parameter `{name}`"),
            Spot::QueryName => f.write_str("a query parameter name"),
            Spot::FrameField { pointer, .. } => write!(f, "the frame field `{pointer}`"),
        }
    }
}

impl Placement {
    fn fits(&self, spot: &Spot<'_>) -> bool {
        match (&self.place, spot) {
            (
                Place::Header { name, value },
                Spot::Header {
                    name: at,
                    value: text,
                    filler,
                },
            ) => name == *at && value.matches(text, filler),
            (
                Place::PathSegment(template),
                Spot::PathSegment {
                    segment, filler, ..
                },
            ) => template.matches(segment, filler),
            (
                Place::Query(name),
                Spot::Query {
                    name: at,
                    value,
                    filler,
                },
            ) => name == at && value == filler,
            (Place::FrameField(pointer), Spot::FrameField { pointer: at, value }) => {
                // The placeholder must be the field's whole value.
                pointer == at && placeholder_only(value)
            }
            _ => false,
        }
    }
}

fn placeholder_only(value: &str) -> bool {
    crate::placeholder::find(value)
        .is_ok_and(|found| found.len() == 1 && found[0].span == (0..value.len()))
}

/// Whether secret `name`, declared with `placements`, may sit at `spot` of a
/// request to `origin`; the refusal names the secret and the place, never a value.
/// `operator_granted`: the request goes out under an operator's grant, which
/// receives a secret wherever it is placed.
pub(crate) fn allow(
    name: &str,
    placements: &[Placement],
    spot: &Spot<'_>,
    origin: &Origin,
    operator_granted: bool,
) -> Result<(), String> {
    if placements.is_empty() {
        return Err(format!(
            "secret `{name}` declares no placement in its manifest, so it is never sent"
        ));
    }
    let mut fitting = placements.iter().filter(|p| p.fits(spot)).peekable();
    if fitting.peek().is_none() {
        return Err(format!("secret `{name}` may not be placed in {spot}"));
    }
    if operator_granted || fitting.any(|p| p.origins.contains(origin)) {
        return Ok(());
    }
    Err(format!(
        "secret `{name}` may not be placed in {spot} of a request to {}",
        origin.ascii_serialization()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capability(origin: &str) -> HttpCapability {
        HttpCapability {
            origin: origin.to_owned(),
            path_prefix: "/".to_owned(),
            methods: Vec::new(),
        }
    }

    fn placement(json: serde_json::Value) -> SecretPlacement {
        serde_json::from_value(json).expect("placement parses")
    }

    fn problem(json: serde_json::Value) -> PlacementProblem {
        placement(json)
            .check(&[capability("https://api.example.com")])
            .expect_err("invalid")
    }

    #[test]
    fn first_party_placements_are_valid() {
        let requested = [
            capability("https://graph.facebook.com"),
            capability("https://api.telegram.org"),
        ];
        for json in [
            serde_json::json!({ "header": "Authorization", "value": "Bearer {secret}",
                                "origins": ["https://graph.facebook.com"] }),
            serde_json::json!({ "path_segment": "bot{secret}", "origins": ["https://api.telegram.org:443"] }),
            serde_json::json!({ "query": "key" }),
            serde_json::json!({ "header": "x-api-key" }),
        ] {
            assert_eq!(placement(json.clone()).check(&requested), Ok(()), "{json}");
        }
    }

    #[test]
    fn each_problem_names_its_field() {
        use serde_json::json;
        let cases = [
            (json!({}), PlacementProblem::NoPlace, None),
            (
                json!({ "header": "a", "query": "b" }),
                PlacementProblem::SeveralPlaces("`header` and `query`".to_owned()),
                None,
            ),
            (
                json!({ "query": "k", "value": "{secret}" }),
                PlacementProblem::ValueWithoutHeader,
                Some("value"),
            ),
            (
                json!({ "path_segment": "bot" }),
                PlacementProblem::Template {
                    field: "path_segment",
                    template: "bot".to_owned(),
                },
                Some("path_segment"),
            ),
            (
                json!({ "header": "authorization", "value": "{secret} {secret}" }),
                PlacementProblem::Template {
                    field: "value",
                    template: "{secret} {secret}".to_owned(),
                },
                Some("value"),
            ),
            (
                json!({ "path_segment": "a/{secret}" }),
                PlacementProblem::UrlCharacters {
                    field: "path_segment",
                    text: "a/{secret}".to_owned(),
                },
                Some("path_segment"),
            ),
            (
                json!({ "query": "a&b" }),
                PlacementProblem::UrlCharacters {
                    field: "query",
                    text: "a&b".to_owned(),
                },
                Some("query"),
            ),
            (
                json!({ "header": "bad name" }),
                PlacementProblem::HeaderName("bad name".to_owned()),
                Some("header"),
            ),
            (
                json!({ "header": "Host" }),
                PlacementProblem::ManagedHeader("Host".to_owned()),
                Some("header"),
            ),
            (
                json!({ "header": "x", "value": "a\n{secret}" }),
                PlacementProblem::HeaderValue("a\n{secret}".to_owned()),
                Some("value"),
            ),
            (
                json!({ "header": "x", "origins": ["https://api.example.com/v1"] }),
                PlacementProblem::InvalidOrigin("https://api.example.com/v1".to_owned()),
                Some("origins"),
            ),
            (
                json!({ "header": "x", "origins": ["https://elsewhere.example"] }),
                PlacementProblem::UngrantedOrigin("https://elsewhere.example".to_owned()),
                Some("origins"),
            ),
        ];
        for (json, expected, field) in cases {
            let got = problem(json.clone());
            assert_eq!(got, expected, "{json}");
            assert_eq!(got.field(), field, "{json}");
        }
        assert!(
            serde_json::from_value::<SecretPlacement>(serde_json::json!({ "heder": "x" })).is_err(),
            "unknown fields are refused"
        );
    }

    fn compiled(json: serde_json::Value, origin: &str) -> Placement {
        placement(json)
            .compile(&[capability(origin)])
            .expect("valid placement")
    }

    #[test]
    fn a_placeholder_is_allowed_only_where_and_towards_where_declared() {
        let graph = Url::parse("https://graph.facebook.com")
            .expect("url")
            .origin();
        let other = Url::parse("https://other.example").expect("url").origin();
        let bearer = compiled(
            serde_json::json!({ "header": "Authorization", "value": "Bearer {secret}",
                                "origins": ["https://graph.facebook.com"] }),
            "https://graph.facebook.com",
        );
        let authorization = HeaderName::from_static("authorization");
        let ph = "{{secret:access_token}}";
        let value = format!("Bearer {ph}");
        let spot = Spot::Header {
            name: &authorization,
            value: &value,
            filler: ph,
        };
        let placements = [bearer];
        assert_eq!(
            allow("access_token", &placements, &spot, &graph, false),
            Ok(())
        );
        assert_eq!(
            allow("access_token", &placements, &spot, &other, false),
            Err("secret `access_token` may not be placed in the header `authorization` of a request to https://other.example".to_owned())
        );
        assert_eq!(
            allow("access_token", &placements, &spot, &other, true),
            Ok(()),
            "an operator's grant receives it wherever it is declared"
        );
        let bare = Spot::Header {
            name: &authorization,
            value: ph,
            filler: ph,
        };
        assert_eq!(
            allow("access_token", &placements, &bare, &graph, false),
            Err("secret `access_token` may not be placed in the header `authorization`".to_owned())
        );
        let query = Spot::Query {
            name: "text",
            value: "zqx0secretzqx",
            filler: "zqx0secretzqx",
        };
        assert_eq!(
            allow("access_token", &placements, &query, &graph, true),
            Err("secret `access_token` may not be placed in the query parameter `text`".to_owned())
        );
        assert_eq!(
            allow("legacy", &[], &query, &graph, true),
            Err(
                "secret `legacy` declares no placement in its manifest, so it is never sent"
                    .to_owned()
            )
        );
    }

    #[test]
    fn path_segments_and_queries_match_the_whole_text() {
        let telegram = Url::parse("https://api.telegram.org")
            .expect("url")
            .origin();
        let bot = [compiled(
            serde_json::json!({ "path_segment": "bot{secret}", "origins": ["https://api.telegram.org"] }),
            "https://api.telegram.org",
        )];
        let spot = |segment: &'static str| Spot::PathSegment {
            segment,
            filler: "M",
            shown: segment,
        };
        assert_eq!(allow("t", &bot, &spot("botM"), &telegram, false), Ok(()));
        for other in ["M", "xbotM", "botMx", "botMM"] {
            assert!(
                allow("t", &bot, &spot(other), &telegram, false).is_err(),
                "{other}"
            );
        }
        let key = [compiled(
            serde_json::json!({ "query": "key" }),
            "https://a.example",
        )];
        let query = |name: &'static str, value: &'static str| Spot::Query {
            name,
            value,
            filler: "M",
        };
        assert_eq!(
            allow("k", &key, &query("key", "M"), &telegram, true),
            Ok(())
        );
        assert!(allow("k", &key, &query("key", "xM"), &telegram, true).is_err());
        assert!(allow("k", &key, &query("Key", "M"), &telegram, true).is_err());
        assert!(allow("k", &key, &Spot::QueryName, &telegram, true).is_err());
    }
}
