//! Request paths that a server may read as another path than the host did.
//!
//! The host checks a granted path prefix on the path the URL parser produced. A
//! server (or a proxy in front of it) may decode `%2F` into a separator, read `\` as
//! `/`, drop `;` parameters or resolve `%2e%2e` after decoding, and so serve
//! `/admin` for a path the host saw under `/v1/`. Such paths are found on the text
//! as written, because the parser already resolved some of them (`..`, `%2e`, `\`)
//! by the time the URL exists.

use std::fmt;

/// What makes a path ambiguous, with the offending text as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ambiguity {
    /// `.` or `..`, also with `%2e` for either dot.
    DotSegment(String),
    /// `%2F`.
    EncodedSlash(String),
    /// `%5C`.
    EncodedBackslash(String),
    Backslash,
    /// `;`, which some servers treat as the start of segment parameters.
    Parameter,
}

impl fmt::Display for Ambiguity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ambiguity::DotSegment(segment) => write!(f, "a dot segment `{segment}`"),
            Ambiguity::EncodedSlash(code) => write!(f, "an encoded slash `{code}`"),
            Ambiguity::EncodedBackslash(code) => write!(f, "an encoded backslash `{code}`"),
            Ambiguity::Backslash => f.write_str("a backslash"),
            Ambiguity::Parameter => f.write_str("a `;` parameter"),
        }
    }
}

/// The path of `url` as written: after the scheme and authority, up to the query
/// or fragment. Tabs and newlines are dropped first, as the URL parser drops them.
pub(crate) fn written_path(url: &str) -> String {
    let text: String = url
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let Some((_scheme, rest)) = text.split_once(':') else {
        return String::new();
    };
    // Special schemes accept any run of `/` and `\` before the authority.
    let rest = rest.trim_start_matches(['/', '\\']);
    let Some(start) = rest.find(['/', '\\', '?', '#']) else {
        return String::new();
    };
    let path = &rest[start..];
    let end = path.find(['?', '#']).unwrap_or(path.len());
    path[..end].to_owned()
}

/// The first ambiguity in `path` (as [`written_path`] returns it), if any.
pub(crate) fn find_ambiguity(path: &str) -> Option<Ambiguity> {
    for segment in path.split('/') {
        if segment.contains('\\') {
            return Some(Ambiguity::Backslash);
        }
        if let Some(code) = find_code(segment, "%5c") {
            return Some(Ambiguity::EncodedBackslash(code));
        }
        if let Some(code) = find_code(segment, "%2f") {
            return Some(Ambiguity::EncodedSlash(code));
        }
        if segment.contains(';') {
            return Some(Ambiguity::Parameter);
        }
        let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
        if decoded == "." || decoded == ".." {
            return Some(Ambiguity::DotSegment(segment.to_owned()));
        }
    }
    None
}

/// `code` (lower-case) in `segment` in any case, as written.
fn find_code(segment: &str, code: &str) -> Option<String> {
    let at = segment.to_ascii_lowercase().find(code)?;
    Some(segment[at..at + code.len()].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_written_path_is_what_follows_the_authority() {
        assert_eq!(written_path("https://a.example/v1/x?q=1#f"), "/v1/x");
        assert_eq!(written_path("https://a.example"), "");
        assert_eq!(written_path("https://a.example?q=/x"), "");
        assert_eq!(written_path("http:\\\\a.example\\v1\\..\\x"), "\\v1\\..\\x");
        assert_eq!(written_path(" http://a.example/v1/.\t./x "), "/v1/../x");
    }

    #[test]
    fn plain_paths_are_not_ambiguous() {
        for path in [
            "",
            "/",
            "/v1/x",
            "/v1/bot123:ABC-def/send",
            "/v1/a.b/..x/x..",
            "/v1/%20space/%41",
            "/v1/zqx0secretzqx",
        ] {
            assert_eq!(find_ambiguity(path), None, "{path}");
        }
    }

    #[test]
    fn each_kind_is_named_with_the_text_as_written() {
        let cases = [
            ("/v1/..%2Fadmin", Ambiguity::EncodedSlash("%2F".to_owned())),
            ("/v1/..%2fadmin", Ambiguity::EncodedSlash("%2f".to_owned())),
            (
                "/v1/..%5Cadmin",
                Ambiguity::EncodedBackslash("%5C".to_owned()),
            ),
            ("/v1\\..\\admin", Ambiguity::Backslash),
            ("/v1/..;/admin", Ambiguity::Parameter),
            ("/v1/x;jsessionid=1", Ambiguity::Parameter),
            ("/v1/../admin", Ambiguity::DotSegment("..".to_owned())),
            ("/v1/./x", Ambiguity::DotSegment(".".to_owned())),
            (
                "/v1/%2e%2E/admin",
                Ambiguity::DotSegment("%2e%2E".to_owned()),
            ),
            ("/v1/.%2e/admin", Ambiguity::DotSegment(".%2e".to_owned())),
            ("/v1/%2e", Ambiguity::DotSegment("%2e".to_owned())),
        ];
        for (path, expected) in cases {
            assert_eq!(find_ambiguity(path), Some(expected), "{path}");
        }
        assert_eq!(
            Ambiguity::EncodedSlash("%2F".to_owned()).to_string(),
            "an encoded slash `%2F`"
        );
    }
}
