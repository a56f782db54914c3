//! Turns a guest's request into one that may be sent, or refuses it. Pure: no I/O.

use std::borrow::Cow;

use http::Method;
use http::header::{HOST, HeaderMap, HeaderName, HeaderValue};
use switchboard_types::{FetchError, Headers, OutgoingRequest};
use url::{Origin, Url};

use crate::placeholder::{self, Placeholder, Unterminated};
use crate::placement::{self, Spot};
use crate::policy::{GrantedBy, Policy};
use crate::secret::Secret;
use crate::target::Target;

/// Headers that frame the message or the connection. The client sets them from the
/// body and URL; letting a guest set them invites request smuggling.
pub(crate) const FRAMING_HEADERS: [&str; 8] = [
    "connection",
    "content-length",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// A request that passed every check and holds its secrets. Never logged.
pub(crate) struct Prepared {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
    pub(crate) granted_by: GrantedBy,
}

/// Checks `request` against `policy` and fills in its secrets.
pub(crate) fn prepare(policy: &Policy, request: OutgoingRequest) -> Result<Prepared, FetchError> {
    let method = parse_method(&request.method)?;
    let target = Target::parse(&request.url)?;
    // Unknown names are refused before the grant check so a typo reads as a typo.
    let url_secrets = lookup_secrets(policy, target.placeholders())?;
    let granted_by = policy
        .authorize(&method, target.masked(), &target.written_path())
        .map_err(FetchError::Denied)?;
    let operator_granted = granted_by == GrantedBy::Operator;
    target.check_placements(policy, operator_granted)?;
    let origin = target.masked().origin();
    let headers = fill_headers(policy, &request.headers, &origin, operator_granted)?;
    if !operator_granted {
        target.check_literal_address()?;
    }
    let url = target.fill_in(policy, &url_secrets, &method, granted_by)?;
    Ok(Prepared {
        method,
        url,
        headers,
        body: request.body,
        granted_by,
    })
}

/// The secret value for each placeholder, or a refusal naming the first unknown one.
pub(crate) fn lookup_secrets<'p>(
    policy: &'p Policy,
    placeholders: &[Placeholder<'_>],
) -> Result<Vec<&'p str>, FetchError> {
    placeholders
        .iter()
        .map(|p| {
            policy
                .secret(p.name)
                .map(Secret::expose)
                .ok_or_else(|| FetchError::Denied(format!("unknown secret {:?}", p.name)))
        })
        .collect()
}

fn parse_method(method: &str) -> Result<Method, FetchError> {
    let parsed = Method::from_bytes(method.as_bytes())
        .map_err(|source| FetchError::Invalid(format!("invalid method {method:?}: {source}")))?;
    if parsed == Method::CONNECT {
        return Err(FetchError::Denied(
            "the CONNECT method is not allowed".to_owned(),
        ));
    }
    Ok(parsed)
}

/// The headers to send, with secrets filled in where their placements allow.
fn fill_headers(
    policy: &Policy,
    pairs: &Headers,
    origin: &Origin,
    operator_granted: bool,
) -> Result<HeaderMap, FetchError> {
    let mut headers = HeaderMap::with_capacity(pairs.len());
    for (name, value) in pairs {
        if name.contains("{{secret:") {
            return Err(FetchError::Denied(
                "secret placeholders are not allowed in header names".to_owned(),
            ));
        }
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|source| {
            FetchError::Invalid(format!("invalid header name {name:?}: {source}"))
        })?;
        if name == HOST {
            // A different Host on a granted address could reach another virtual host.
            return Err(FetchError::Denied(
                "the host header comes from the url and cannot be set".to_owned(),
            ));
        }
        if FRAMING_HEADERS.contains(&name.as_str()) {
            return Err(FetchError::Invalid(format!(
                "header {name} is set by the host and cannot be set"
            )));
        }
        let placeholders = placeholder::find(value).map_err(|Unterminated| {
            FetchError::Invalid(format!("unterminated secret placeholder in header {name}"))
        })?;
        let secrets = lookup_secrets(policy, &placeholders)?;
        for placeholder in &placeholders {
            let spot = Spot::Header {
                name: &name,
                value,
                filler: &value[placeholder.span.clone()],
            };
            let placements = policy.placements(placeholder.name);
            placement::allow(
                placeholder.name,
                placements,
                &spot,
                origin,
                operator_granted,
            )
            .map_err(FetchError::Denied)?;
        }
        let filled = placeholder::replace(value, &placeholders, |i, _| Cow::Borrowed(secrets[i]));
        let mut value = HeaderValue::from_bytes(filled.as_bytes()).map_err(|source| {
            FetchError::Invalid(format!("invalid value for header {name}: {source}"))
        })?;
        if !placeholders.is_empty() {
            // Keeps the value out of HTTP/2 header compression tables.
            value.set_sensitive(true);
        }
        headers.append(name, value);
    }
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use switchboard_types::HttpCapability;

    use super::*;

    fn policy() -> Policy {
        let capabilities = [HttpCapability {
            origin: "https://api.example.com".to_owned(),
            path_prefix: "/v1".to_owned(),
            methods: vec!["POST".to_owned()],
        }];
        let placed = |value: &str, placements: serde_json::Value| {
            let placements = serde_json::from_value(placements).expect("placements");
            Secret::new(value).placed(placements)
        };
        let api = "https://api.example.com";
        let secrets = BTreeMap::from([
            (
                "token".to_owned(),
                placed(
                    "123:ABC-def",
                    serde_json::json!([
                        { "path_segment": "bot{secret}", "origins": [api] },
                        { "header": "Authorization", "value": "Bearer {secret}", "origins": [api] },
                    ]),
                ),
            ),
            (
                "key".to_owned(),
                placed(
                    "a&b=c/d",
                    serde_json::json!([{ "query": "key", "origins": [api] }]),
                ),
            ),
            (
                "dots".to_owned(),
                placed(
                    "..",
                    serde_json::json!([{ "path_segment": "{secret}", "origins": [api] }]),
                ),
            ),
            (
                "newline".to_owned(),
                placed(
                    "a\r\nX-Evil: 1",
                    serde_json::json!([{ "header": "x", "origins": [api] }]),
                ),
            ),
            ("unplaced".to_owned(), Secret::new("legacy-value")),
        ]);
        Policy::new(&capabilities, &["http://127.0.0.1:9".to_owned()], secrets)
            .expect("valid policy")
    }

    fn request(method: &str, url: &str, headers: &[(&str, &str)]) -> OutgoingRequest {
        OutgoingRequest {
            method: method.to_owned(),
            url: url.to_owned(),
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            body: Vec::new(),
            timeout_ms: None,
        }
    }

    fn refusal(result: Result<Prepared, FetchError>) -> FetchError {
        match result {
            Ok(prepared) => panic!("expected a refusal, got a request to {}", prepared.url),
            Err(err) => err,
        }
    }

    #[test]
    fn secrets_are_filled_in_the_path_query_and_headers() {
        let req = request(
            "POST",
            "https://api.example.com/v1/bot{{secret:token}}/send?key={{secret:key}}",
            &[("authorization", "Bearer {{secret:token}}")],
        );
        let prepared = prepare(&policy(), req).expect("granted");
        assert_eq!(
            prepared.url.as_str(),
            "https://api.example.com/v1/bot123:ABC-def/send?key=a%26b%3Dc%2Fd"
        );
        let auth = &prepared.headers["authorization"];
        assert_eq!(auth, "Bearer 123:ABC-def");
        assert!(auth.is_sensitive());
        assert_eq!(prepared.granted_by, GrantedBy::Manifest);
    }

    #[test]
    fn secrets_go_only_where_they_are_placed() {
        let denied = |req: OutgoingRequest| match refusal(prepare(&policy(), req)) {
            FetchError::Denied(why) => why,
            other => panic!("expected a refusal, got {other:?}"),
        };
        let url = "https://api.example.com/v1/send";
        assert_eq!(
            denied(request(
                "POST",
                &format!("{url}?text={{{{secret:token}}}}"),
                &[]
            )),
            "secret `token` may not be placed in the query parameter `text`"
        );
        assert_eq!(
            denied(request("POST", url, &[("x-token", "{{secret:token}}")])),
            "secret `token` may not be placed in the header `x-token`"
        );
        assert_eq!(
            denied(request(
                "POST",
                url,
                &[("authorization", "{{secret:token}}")]
            )),
            "secret `token` may not be placed in the header `authorization`",
            "the declared value template must match whole"
        );
        assert_eq!(
            denied(request(
                "POST",
                "https://api.example.com/v1/x{{secret:token}}/send",
                &[]
            )),
            "secret `token` may not be placed in the path segment `x{{secret:token}}`"
        );
        assert_eq!(
            denied(request("POST", &format!("{url}?{{{{secret:key}}}}=1"), &[])),
            "secret `key` may not be placed in a query parameter name"
        );
        assert_eq!(
            denied(request("POST", url, &[("x", "{{secret:unplaced}}")])),
            "secret `unplaced` declares no placement in its manifest, so it is never sent"
        );
        // An operator's grant receives a secret wherever it is declared, and only there.
        let operator = "http://127.0.0.1:9/bot{{secret:token}}/send";
        assert!(prepare(&policy(), request("POST", operator, &[])).is_ok());
        assert!(
            denied(request("POST", "http://127.0.0.1:9/{{secret:token}}", &[]))
                .contains("path segment")
        );
    }

    #[test]
    fn a_placeholder_in_the_body_goes_out_as_written() {
        let mut req = request("POST", "https://api.example.com/v1/send", &[]);
        req.body = br#"{"text":"{{secret:token}}"}"#.to_vec();
        let prepared = prepare(&policy(), req).expect("granted");
        assert_eq!(prepared.body, br#"{"text":"{{secret:token}}"}"#);
    }

    #[test]
    fn unknown_secrets_are_refused_in_url_and_headers() {
        let in_url = request("POST", "https://api.example.com/v1/{{secret:nope}}", &[]);
        assert_eq!(
            refusal(prepare(&policy(), in_url)),
            FetchError::Denied("unknown secret \"nope\"".to_owned())
        );
        let in_header = request(
            "POST",
            "https://api.example.com/v1",
            &[("x", "{{secret:nope}}")],
        );
        assert!(matches!(
            refusal(prepare(&policy(), in_header)),
            FetchError::Denied(_)
        ));
    }

    #[test]
    fn a_secret_cannot_climb_out_of_the_granted_prefix() {
        let req = request(
            "POST",
            "https://api.example.com/v1/{{secret:dots}}/admin",
            &[],
        );
        assert_eq!(
            refusal(prepare(&policy(), req)),
            FetchError::Denied("a secret value moved the request outside its grant".to_owned())
        );
    }

    #[test]
    fn a_secret_that_breaks_a_header_is_invalid_and_not_echoed() {
        let req = request(
            "POST",
            "https://api.example.com/v1",
            &[("x", "{{secret:newline}}")],
        );
        let err = refusal(prepare(&policy(), req));
        assert!(matches!(err, FetchError::Invalid(_)));
        assert!(!err.to_string().contains("X-Evil"));
    }

    #[test]
    fn bad_methods_and_managed_headers_are_refused() {
        let url = "https://api.example.com/v1";
        assert!(matches!(
            refusal(prepare(&policy(), request("PO ST", url, &[]))),
            FetchError::Invalid(_)
        ));
        assert!(matches!(
            refusal(prepare(&policy(), request("CONNECT", url, &[]))),
            FetchError::Denied(_)
        ));
        for header in ["host", "Content-Length", "transfer-encoding"] {
            let req = request("POST", url, &[(header, "x")]);
            assert!(prepare(&policy(), req).is_err(), "{header} must be refused");
        }
        let req = request("POST", url, &[("x-{{secret:token}}", "1")]);
        assert!(matches!(
            refusal(prepare(&policy(), req)),
            FetchError::Denied(_)
        ));
    }

    #[test]
    fn restricted_literals_need_an_operator_grant() {
        let operator = request("GET", "http://127.0.0.1:9/x", &[]);
        assert_eq!(
            prepare(&policy(), operator).map(|p| p.granted_by).ok(),
            Some(GrantedBy::Operator)
        );
        let capabilities = [HttpCapability {
            origin: "http://127.0.0.1:9".to_owned(),
            path_prefix: "/".to_owned(),
            methods: Vec::new(),
        }];
        let manifest_only = Policy::new(&capabilities, &[], BTreeMap::new()).expect("valid policy");
        let err = refusal(prepare(
            &manifest_only,
            request("GET", "http://127.0.0.1:9/x", &[]),
        ));
        assert_eq!(
            err,
            FetchError::Denied(
                "127.0.0.1 is a loopback address that only an operator grant may reach".to_owned()
            )
        );
    }
}
