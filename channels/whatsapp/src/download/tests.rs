use switchboard_channel_sdk::fake::{FakeHost, answer, ok};
use switchboard_channel_sdk::{AttachmentKind, Body, FetchFailure, Response, header};

use super::*;

const LOOKED_UP: &str = r#"{"messaging_product":"whatsapp","url":"https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=65463453&ext=1&hash=h","mime_type":"image/jpeg","sha256":"x","file_size":"10","id":"65463453"}"#;

fn image() -> Attachment {
    Attachment::new(AttachmentKind::Image, "65463453")
}

#[test]
fn the_lookup_is_an_authenticated_get_of_the_media_id() {
    let host = FakeHost::answering(vec![ok(LOOKED_UP)]);
    let request = download_request(&host, &image()).expect("planned");

    let requests = host.requests.borrow();
    let [lookup] = &requests[..] else {
        panic!("one lookup expected, got {requests:?}")
    };
    assert_eq!(lookup.method, "GET");
    assert_eq!(lookup.url, "https://graph.facebook.com/v23.0/65463453");
    assert_eq!(
        header(&lookup.headers, "authorization"),
        Some("Bearer {{secret:access_token}}")
    );

    assert_eq!(request.method, "GET");
    assert_eq!(
        request.url,
        "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=65463453&ext=1&hash=h"
    );
    assert_eq!(
        request.headers,
        vec![(
            "authorization".to_owned(),
            "Bearer {{secret:access_token}}".to_owned()
        )]
    );
    assert_eq!(request.body, Body::Bytes(vec![]));
}

#[test]
fn the_api_base_setting_redirects_the_lookup_but_not_the_download() {
    let mut host = FakeHost::answering(vec![ok(
        r#"{"url":"http://127.0.0.1:9/files/65463453","id":"65463453"}"#,
    )]);
    host.settings
        .insert("api_base".into(), "http://127.0.0.1:9/graph/".into());
    let request = download_request(&host, &image()).expect("planned");
    assert_eq!(
        host.requests.borrow()[0].url,
        "http://127.0.0.1:9/graph/65463453"
    );
    assert_eq!(request.url, "http://127.0.0.1:9/files/65463453");
}

#[test]
fn lookup_failures_are_retried_only_when_they_may_pass() {
    let unknown = include_str!("../../../../tests/fixtures/whatsapp/meta-docs-media-unknown.json");
    let cases = [
        (answer(404, ""), false, None),
        (answer(400, unknown), false, None),
        (answer(500, "down"), true, None),
        (
            Ok(Response {
                status: 429,
                headers: vec![("retry-after".into(), "7".into())],
                body: vec![],
            }),
            true,
            Some(7),
        ),
        (
            answer(400, r#"{"error":{"message":"throttled","code":130429}}"#),
            true,
            None,
        ),
        (Err(FetchFailure::Timeout), true, None),
        (Err(FetchFailure::Denied("origin".into())), false, None),
    ];
    for (answer, retryable, retry_after) in cases {
        let shown = format!("{answer:?}");
        let host = FakeHost::answering(vec![answer]);
        let failure = download_request(&host, &image()).expect_err(&shown);
        assert_eq!(failure.retryable, retryable, "{shown}");
        assert_eq!(failure.retry_after_secs, retry_after, "{shown}");
        assert!(
            failure.message.starts_with("look up media 65463453: "),
            "{}",
            failure.message
        );
    }
}

#[test]
fn an_unknown_media_id_says_what_whatsapp_said() {
    let unknown = include_str!("../../../../tests/fixtures/whatsapp/meta-docs-media-unknown.json");
    let host = FakeHost::answering(vec![answer(400, unknown)]);
    let failure = download_request(&host, &image()).expect_err("unknown");
    assert!(
        failure.message.starts_with(
            "look up media 65463453: http 400: whatsapp error 100: Unsupported get request."
        ),
        "{}",
        failure.message
    );
}

#[test]
fn answers_without_a_usable_url_fail_permanently() {
    for body in [
        r#"{"id":"65463453"}"#,
        r#"{"url":""}"#,
        r#"{"url":"file:///etc/passwd"}"#,
        "<html>",
    ] {
        let host = FakeHost::answering(vec![ok(body)]);
        let failure = download_request(&host, &image()).expect_err(body);
        assert!(!failure.retryable, "{body}");
    }
}

#[test]
fn references_that_would_leave_the_path_are_refused_without_a_request() {
    for reference in ["", "..", "1/../me", "1?fields=x", "1#x", "1%2F2"] {
        let host = FakeHost::default();
        let attachment = Attachment::new(AttachmentKind::Document, reference);
        let failure = download_request(&host, &attachment).expect_err(reference);
        assert!(!failure.retryable, "{reference}");
        assert!(host.requests.borrow().is_empty(), "{reference}");
    }
}
