//! Header lookup over the `(name, value)` lists the WIT contract uses.

/// HTTP header fields as `(name, value)` pairs, in order; a name may repeat. This
/// is the shape of the WIT `headers` type.
pub type Headers = Vec<(String, String)>;

/// The value of the first header called `name`, compared case-insensitively.
///
/// The host sends lower-case names, but outbound API responses and tests may not,
/// so the comparison never relies on it.
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers() -> Headers {
        vec![
            ("Content-Type".to_owned(), "application/json".to_owned()),
            ("x-retry".to_owned(), "1".to_owned()),
            ("X-Retry".to_owned(), "2".to_owned()),
        ]
    }

    #[test]
    fn lookup_ignores_case() {
        assert_eq!(header(&headers(), "content-type"), Some("application/json"));
        assert_eq!(header(&headers(), "CONTENT-TYPE"), Some("application/json"));
    }

    #[test]
    fn repeated_header_yields_the_first() {
        assert_eq!(header(&headers(), "x-retry"), Some("1"));
    }

    #[test]
    fn missing_header_is_none() {
        assert_eq!(header(&headers(), "authorization"), None);
        assert_eq!(header(&[], "authorization"), None);
    }
}
