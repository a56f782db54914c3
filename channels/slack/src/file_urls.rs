//! Which file URLs this channel hands to the host.
//!
//! A download URL comes from an event and an upload URL from an API answer, and
//! the host sends the bot token with the download. A crafted event could name
//! any URL, so only Slack's file host is accepted, or, when the operator points
//! `api_base` at a mock or a proxy, that server (it receives the token anyway).

use thiserror::Error;

use crate::web_api::is_default_api_base;

/// Where Slack serves and receives files.
const FILES_ORIGIN: &str = "https://files.slack.com";

/// Where private files are downloaded from (`url_private`).
pub(crate) const DOWNLOAD_PATH: &str = "/files-pri/";

/// Where `files.getUploadURLExternal` sends uploads.
pub(crate) const UPLOAD_PATH: &str = "/upload/v1/";

/// Why a URL is refused. It names the origin only: an upload URL carries its own
/// authorisation and must not end up in logs.
#[derive(Debug, PartialEq, Eq, Error)]
pub(crate) enum Refused {
    #[error("not an absolute http(s) URL")]
    NotAbsolute,
    #[error("{origin} is not {FILES_ORIGIN}{path}")]
    Elsewhere { origin: String, path: &'static str },
}

/// Accepts `url` when it lies under `path` on Slack's file host, or anywhere on
/// the origin of a configured `api_base` that is not Slack's own.
pub(crate) fn check(url: &str, path: &'static str, api_base: &str) -> Result<(), Refused> {
    let (origin, rest) = split_origin(url).ok_or(Refused::NotAbsolute)?;
    if origin == FILES_ORIGIN && rest.starts_with(path) && !has_dot_segment(rest) {
        return Ok(());
    }
    let configured = (!is_default_api_base(api_base))
        .then(|| split_origin(api_base.trim()))
        .flatten();
    if configured.is_some_and(|(base_origin, _)| base_origin == origin) {
        return Ok(());
    }
    Err(Refused::Elsewhere { origin, path })
}

/// `scheme://authority` (lower-cased) and the rest of an http(s) URL. A URL with
/// user information, an empty host, whitespace or control characters has no
/// origin worth trusting.
fn split_origin(url: &str) -> Option<(String, &str)> {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let (scheme, after) = url.split_once("://")?;
    if !(scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http")) {
        return None;
    }
    let end = after.find(['/', '?', '#', '\\']).unwrap_or(after.len());
    let (authority, rest) = after.split_at(end);
    if authority.is_empty() || authority.contains('@') || authority.starts_with(':') {
        return None;
    }
    Some((
        format!(
            "{}://{}",
            scheme.to_ascii_lowercase(),
            authority.to_ascii_lowercase()
        ),
        rest,
    ))
}

/// `..` would let a path that starts under the expected prefix leave it.
fn has_dot_segment(rest: &str) -> bool {
    let path = rest.split(['?', '#']).next().unwrap_or_default();
    path.split('/').any(|segment| {
        let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
        decoded == ".." || decoded == "."
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SLACK: &str = "https://slack.com/api";
    const MOCK: &str = "http://127.0.0.1:8099/api";

    #[test]
    fn slacks_file_host_is_accepted_under_the_expected_path() {
        let url = "https://files.slack.com/files-pri/T111-F111/file.png";
        assert_eq!(check(url, DOWNLOAD_PATH, SLACK), Ok(()));
        assert_eq!(check(url, DOWNLOAD_PATH, MOCK), Ok(()));
        let upload = "https://files.slack.com/upload/v1/ABC123";
        assert_eq!(check(upload, UPLOAD_PATH, SLACK), Ok(()));
        assert_eq!(
            check(upload, DOWNLOAD_PATH, SLACK),
            Err(Refused::Elsewhere {
                origin: FILES_ORIGIN.to_owned(),
                path: DOWNLOAD_PATH
            })
        );
    }

    #[test]
    fn other_hosts_are_refused_with_the_default_api_base() {
        for url in [
            "https://evil.example/files-pri/T1-F1/x.png",
            "http://files.slack.com/files-pri/T1-F1/x.png",
            "https://files.slack.com.evil.example/files-pri/x",
            "https://files.slack.com@evil.example/files-pri/x",
            "https://files.slack.com:8443/files-pri/x",
            "https://slack.com/api/files-pri/x",
            "https://files.slack.com/files-pri/../api/x",
            "https://files.slack.com/files-pri/%2E%2E/x",
            "https://files.slack.com/files-pri/.%2e/x",
            "https://127.0.0.1:8099/files-pri/x",
        ] {
            assert!(check(url, DOWNLOAD_PATH, SLACK).is_err(), "{url}");
        }
        for url in [
            "files-pri/x",
            "ftp://files.slack.com/files-pri/x",
            "https:///x",
        ] {
            assert_eq!(
                check(url, DOWNLOAD_PATH, SLACK),
                Err(Refused::NotAbsolute),
                "{url}"
            );
        }
        assert_eq!(
            check(
                "https://files.slack.com/files-pri/a b",
                DOWNLOAD_PATH,
                SLACK
            ),
            Err(Refused::NotAbsolute)
        );
    }

    #[test]
    fn a_configured_api_base_vouches_for_its_own_origin_only() {
        assert_eq!(
            check("http://127.0.0.1:8099/files/x.png", DOWNLOAD_PATH, MOCK),
            Ok(())
        );
        assert_eq!(
            check("HTTP://127.0.0.1:8099/upload/1", UPLOAD_PATH, MOCK),
            Ok(())
        );
        for url in [
            "http://127.0.0.1:8100/files/x.png",
            "https://127.0.0.1:8099/files/x.png",
            "http://localhost:8099/files/x.png",
        ] {
            assert!(check(url, DOWNLOAD_PATH, MOCK).is_err(), "{url}");
        }
    }

    #[test]
    fn refusals_name_the_origin_and_not_the_url() {
        let refused = check(
            "https://evil.example/upload/secret-token",
            UPLOAD_PATH,
            SLACK,
        )
        .expect_err("refused");
        assert_eq!(
            refused.to_string(),
            "https://evil.example is not https://files.slack.com/upload/v1/"
        );
    }
}
