//! The request URL: where it points, and where its secret placeholders sit.
//!
//! The destination is decided on the URL with every placeholder replaced by an inert
//! marker, before any secret is filled in, so a secret can never select where a request
//! goes. Filling in happens afterwards on the original text, and the result must still
//! point at the same origin and granted path.

use std::borrow::Cow;
use std::net::IpAddr;

use http::Method;
use switchboard_types::FetchError;
use url::{Host, Url};

use crate::address;
use crate::path;
use crate::placeholder::{self, Placeholder, Unterminated};
use crate::placement::{self, Spot};
use crate::policy::{GrantedBy, Policy, WrittenPath};

const OUTSIDE_PATH: &str = "secret placeholders are only allowed in the url path and query";

/// A parsed request URL whose placeholders are still masked.
pub(crate) struct Target<'a> {
    raw: &'a str,
    placeholders: Vec<Placeholder<'a>>,
    /// `raw` with the markers in place, before parsing.
    masked_text: String,
    masked: Url,
}

/// The marker that stands in for placeholder `index`. Lower-case letters and digits
/// survive every part of URL parsing unchanged, so the marker can be found again.
fn marker(index: usize) -> String {
    format!("zqx{index}secretzqx")
}

impl<'a> Target<'a> {
    /// Parses `raw` with its placeholders masked and checks that they sit only in the
    /// path and query of an `http` or `https` URL without credentials.
    pub(crate) fn parse(raw: &'a str) -> Result<Target<'a>, FetchError> {
        let placeholders = placeholder::find(raw).map_err(|Unterminated| {
            FetchError::Invalid("unterminated secret placeholder in the url".to_owned())
        })?;
        let masked_text = placeholder::replace(raw, &placeholders, |i, _| Cow::Owned(marker(i)));
        let masked = match Url::parse(&masked_text) {
            Ok(url) => url,
            Err(source) => {
                // A letter marker breaks a port number. If digits in its place parse, the
                // placeholder sat in the port, which is a refusal rather than a typo.
                let digits = placeholder::replace(raw, &placeholders, |_, _| Cow::Borrowed("0"));
                if !placeholders.is_empty() && Url::parse(&digits).is_ok() {
                    return Err(FetchError::Denied(OUTSIDE_PATH.to_owned()));
                }
                return Err(FetchError::Invalid(format!("invalid url: {source}")));
            }
        };
        let target = Target {
            raw,
            placeholders,
            masked_text,
            masked,
        };
        target.check_placement()?;
        target.check_shape()?;
        Ok(target)
    }

    /// Each marker must appear exactly once, in the path or query, and nowhere else.
    /// Counting (rather than looking for one hit) also catches a marker that host
    /// normalisation (IDNA) rewrote and one the guest wrote out literally.
    fn check_placement(&self) -> Result<(), FetchError> {
        let url = &self.masked;
        for index in 0..self.placeholders.len() {
            let marker = marker(index);
            let allowed = url.path().matches(&marker).count()
                + url.query().map_or(0, |q| q.matches(&marker).count());
            let elsewhere = [
                url.scheme(),
                url.host_str().unwrap_or_default(),
                url.fragment().unwrap_or_default(),
            ]
            .iter()
            .any(|part| part.contains(&marker));
            if allowed != 1 || elsewhere {
                return Err(FetchError::Denied(OUTSIDE_PATH.to_owned()));
            }
        }
        Ok(())
    }

    fn check_shape(&self) -> Result<(), FetchError> {
        let url = &self.masked;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::Denied(format!(
                "scheme {:?} is not allowed; use http or https",
                url.scheme()
            )));
        }
        if url.host().is_none() {
            return Err(FetchError::Invalid("the url has no host".to_owned()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(FetchError::Denied(
                "credentials in the url are not allowed; put a secret placeholder in a header"
                    .to_owned(),
            ));
        }
        Ok(())
    }

    /// The placeholders in the URL, in order.
    pub(crate) fn placeholders(&self) -> &[Placeholder<'a>] {
        &self.placeholders
    }

    /// The URL with masked placeholders, for deciding the destination.
    pub(crate) fn masked(&self) -> &Url {
        &self.masked
    }

    /// The path as written: shown with placeholders as the guest wrote them, judged
    /// with the inert markers in their place (a placeholder's name is not path text).
    pub(crate) fn written_path(&self) -> WrittenPath {
        WrittenPath {
            shown: path::written_path(self.raw),
            ambiguity: path::find_ambiguity(&path::written_path(&self.masked_text)),
        }
    }

    /// Refuses a placeholder that sits where its secret's placements do not allow,
    /// or towards an origin they do not name (unless the operator granted it).
    pub(crate) fn check_placements(
        &self,
        policy: &Policy,
        operator_granted: bool,
    ) -> Result<(), FetchError> {
        let origin = self.masked.origin();
        let path = self.masked.path();
        let query = self.masked.query().unwrap_or_default();
        for (index, placeholder) in self.placeholders.iter().enumerate() {
            let filler = marker(index);
            let shown;
            // `check_placement` made sure the marker is in the path or the query.
            let spot = match path.split('/').find(|s| s.contains(&filler)) {
                Some(segment) => {
                    shown = self.show(segment);
                    Spot::PathSegment {
                        segment,
                        filler: &filler,
                        shown: &shown,
                    }
                }
                None => {
                    let pair = query.split('&').find(|p| p.contains(&filler));
                    match pair.and_then(|p| p.split_once('=')) {
                        Some((name, value)) if !name.contains(&filler) => Spot::Query {
                            name,
                            value,
                            filler: &filler,
                        },
                        _ => Spot::QueryName,
                    }
                }
            };
            let placements = policy.placements(placeholder.name);
            placement::allow(
                placeholder.name,
                placements,
                &spot,
                &origin,
                operator_granted,
            )
            .map_err(FetchError::Denied)?;
        }
        Ok(())
    }

    /// `text` from the masked URL with each marker shown as the placeholder the
    /// guest wrote.
    fn show(&self, text: &str) -> String {
        let mut shown = text.to_owned();
        for (index, placeholder) in self.placeholders.iter().enumerate() {
            shown = shown.replace(&marker(index), &self.raw[placeholder.span.clone()]);
        }
        shown
    }

    /// Refuses an IP-literal host in a restricted range. Names are checked by the
    /// resolver instead, but IP literals never reach a resolver.
    pub(crate) fn check_literal_address(&self) -> Result<(), FetchError> {
        let addr = match self.masked.host() {
            Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
            Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
            Some(Host::Domain(_)) | None => return Ok(()),
        };
        let host = self.masked.host_str().unwrap_or_default();
        address::check(host, addr).map_err(|refused| FetchError::Denied(refused.to_string()))
    }

    /// The URL to send, with secrets filled in and percent-encoded where needed.
    /// `values` holds one secret value per placeholder.
    pub(crate) fn fill_in(
        self,
        policy: &Policy,
        values: &[&str],
        method: &Method,
        granted_by: GrantedBy,
    ) -> Result<Url, FetchError> {
        if self.placeholders.is_empty() {
            return Ok(self.masked);
        }
        let text = placeholder::replace(self.raw, &self.placeholders, |i, _| {
            placeholder::encode_for_url(values[i])
        });
        let url = Url::parse(&text).map_err(|source| {
            FetchError::Invalid(format!(
                "the url is invalid once secrets are filled in: {source}"
            ))
        })?;
        // Encoding keeps structure intact, but a value like `..` is a dot segment the
        // parser resolves; whatever the cause, the filled-in URL must still be granted.
        let filled = WrittenPath {
            shown: path::written_path(self.raw),
            ambiguity: path::find_ambiguity(&path::written_path(&text)),
        };
        let still_granted = url.origin() == self.masked.origin()
            && matches!(
                policy.authorize(method, &url, &filled),
                Ok(by) if by == granted_by
            );
        if !still_granted {
            return Err(FetchError::Denied(
                "a secret value moved the request outside its grant".to_owned(),
            ));
        }
        Ok(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn denied(raw: &str) -> String {
        match Target::parse(raw) {
            Err(FetchError::Denied(reason)) => reason,
            Err(other) => panic!("{raw}: expected a refusal, got {other:?}"),
            Ok(_) => panic!("{raw}: expected a refusal"),
        }
    }

    #[test]
    fn placeholders_in_path_and_query_are_accepted() {
        let raw = "https://api.telegram.org/bot{{secret:tg}}/send?k={{secret:key}}";
        let target = Target::parse(raw).expect("placement is fine");
        assert_eq!(target.masked().host_str(), Some("api.telegram.org"));
        let path = target.written_path();
        assert_eq!(path.shown, "/bot{{secret:tg}}/send");
        assert_eq!(path.ambiguity, None);
    }

    #[test]
    fn placeholders_that_could_pick_the_destination_are_refused() {
        for raw in [
            "https://{{secret:h}}/x",
            "https://api.{{secret:h}}.example/x",
            "https://api.example:{{secret:port}}/x",
            "https://{{secret:u}}@api.example/x",
            "https://api.example/x#{{secret:f}}",
            "{{secret:s}}://api.example/x",
        ] {
            assert_eq!(denied(raw), OUTSIDE_PATH, "{raw}");
        }
    }

    #[test]
    fn a_literal_marker_cannot_smuggle_a_placeholder_into_the_host() {
        let raw = "https://{{secret:h}}.example/zqx0secretzqx";
        assert_eq!(denied(raw), OUTSIDE_PATH);
    }

    #[test]
    fn non_http_and_credentials_are_refused_and_garbage_is_invalid() {
        assert!(denied("ftp://files.example/x").contains("scheme \"ftp\""));
        assert!(denied("https://user:pw@api.example/").contains("credentials"));
        assert!(matches!(
            Target::parse("/relative"),
            Err(FetchError::Invalid(_))
        ));
        assert!(matches!(
            Target::parse("https://api.example/{{secret:x"),
            Err(FetchError::Invalid(_))
        ));
    }

    #[test]
    fn ip_literals_are_checked_directly() {
        let check = |raw: &str| Target::parse(raw).expect("parses").check_literal_address();
        assert!(check("http://8.8.8.8/").is_ok());
        assert!(check("http://api.example/").is_ok());
        for raw in [
            "http://127.0.0.1:8080/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::1]/",
            "http://0x7f.1/",
            "http://2130706433/",
        ] {
            assert!(
                matches!(check(raw), Err(FetchError::Denied(_))),
                "{raw} must be refused"
            );
        }
    }
}
