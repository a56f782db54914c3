//! Query-string parsing for webhook requests.

/// Every `name=value` pair of a query string, percent- and `+`-decoded, in order.
///
/// The WIT `http-request.query` comes without the leading `?`; one is tolerated
/// anyway so callers can pass a query taken from a full URL.
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    let query = query.strip_prefix('?').unwrap_or(query);
    form_urlencoded::parse(query.as_bytes())
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

/// The decoded value of the first parameter called `name` (case-sensitive, as
/// query parameters are).
pub fn query_param(query: &str, name: &str) -> Option<String> {
    let query = query.strip_prefix('?').unwrap_or(query);
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HANDSHAKE: &str =
        "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock";

    #[test]
    fn finds_dotted_names() {
        assert_eq!(
            query_param(HANDSHAKE, "hub.challenge").as_deref(),
            Some("1158201444")
        );
        assert_eq!(
            query_param(HANDSHAKE, "hub.mode").as_deref(),
            Some("subscribe")
        );
    }

    #[test]
    fn decodes_percent_and_plus() {
        assert_eq!(
            query_param("q=a%2Fb+c%C3%A9", "q").as_deref(),
            Some("a/b cé")
        );
    }

    #[test]
    fn missing_or_case_mismatched_name_is_none() {
        assert_eq!(query_param(HANDSHAKE, "hub.Challenge"), None);
        assert_eq!(query_param("", "hub.challenge"), None);
    }

    #[test]
    fn first_of_repeated_wins_and_leading_question_mark_is_ignored() {
        assert_eq!(query_param("?a=1&a=2", "a").as_deref(), Some("1"));
        assert_eq!(
            query_pairs("?a=1&b=&c"),
            vec![
                ("a".to_owned(), "1".to_owned()),
                ("b".to_owned(), String::new()),
                ("c".to_owned(), String::new()),
            ]
        );
    }
}
