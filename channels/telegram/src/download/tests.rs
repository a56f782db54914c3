//! Download planning against the constructed `getFile` answers in
//! `tests/fixtures/telegram/answers` (see the folder's README).

use std::collections::BTreeSet;

use serde_json::{Value, json};
use switchboard_channel_sdk::fake::{FakeHost, answer, ok};
use switchboard_channel_sdk::{AttachmentKind, Body, FetchFailure};

use super::*;
use crate::webhook;

fn read(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../tests/fixtures/telegram/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

fn answer_fixture(name: &str) -> String {
    String::from_utf8(read(&format!("answers/{name}"))).expect("utf-8")
}

/// The one attachment the update fixture `name` carries, as the webhook emits it.
fn attachment_of(name: &str) -> Attachment {
    let mut host = FakeHost::default();
    host.settings
        .insert("bot_username".to_owned(), "SwitchboardBot".to_owned());
    assert_eq!(webhook::handle(&host, "POST", &read(name)).status, 200);
    let mut emitted = host.emitted.take();
    assert_eq!(emitted.len(), 1, "{name}");
    let mut attachments = std::mem::take(&mut emitted[0].attachments);
    assert_eq!(attachments.len(), 1, "{name}");
    attachments.remove(0)
}

fn photo() -> Attachment {
    Attachment::new(AttachmentKind::Image, "AgACAgQAAxkBAAINhGKvijUVSn2i")
}

#[test]
fn each_kind_of_file_is_downloaded_from_the_path_get_file_names() {
    let answers: serde_json::Map<String, Value> =
        serde_json::from_str(&answer_fixture("constructed-getfile.json")).expect("json");
    let mut kinds = BTreeSet::new();
    for (update, get_file) in &answers {
        let attachment = attachment_of(update);
        kinds.insert(format!("{:?}", attachment.kind));
        let host = FakeHost::answering(vec![ok(&get_file.to_string())]);
        let download = download_request(&host, &attachment).expect(update);

        let requests = host.requests.borrow();
        assert_eq!(requests.len(), 1, "{update}");
        assert_eq!(requests[0].method, "POST");
        assert_eq!(
            requests[0].url,
            "https://api.telegram.org/bot{{secret:bot_token}}/getFile"
        );
        assert_eq!(
            host.sent_bodies()[0],
            json!({"file_id": get_file["result"]["file_id"]}),
            "{update}: the file_id of the update is the one looked up"
        );
        assert_eq!(download.method, "GET", "{update}");
        let file_path = get_file["result"]["file_path"].as_str().expect("path");
        assert_eq!(
            download.url,
            format!("https://api.telegram.org/file/bot{{{{secret:bot_token}}}}/{file_path}"),
            "{update}"
        );
        assert!(download.headers.is_empty(), "{update}");
        assert_eq!(download.body, Body::Bytes(Vec::new()), "{update}");
    }
    assert_eq!(
        kinds,
        ["Audio", "Document", "Image", "Sticker", "Video", "Voice"]
            .map(str::to_owned)
            .into(),
        "every attachment kind the channel emits is covered"
    );
}

#[test]
fn the_api_base_setting_redirects_the_lookup_and_the_download() {
    let mut host = FakeHost::answering(vec![ok(
        r#"{"ok":true,"result":{"file_id":"x","file_unique_id":"u","file_path":"photos/file_0.jpg"}}"#,
    )]);
    host.settings
        .insert("api_base".to_owned(), "http://127.0.0.1:9/".to_owned());
    let download = download_request(&host, &photo()).expect("planned");
    assert_eq!(
        host.requests.borrow()[0].url,
        "http://127.0.0.1:9/bot{{secret:bot_token}}/getFile"
    );
    assert_eq!(
        download.url,
        "http://127.0.0.1:9/file/bot{{secret:bot_token}}/photos/file_0.jpg"
    );
}

#[test]
fn a_file_over_the_bot_download_limit_fails_for_good_saying_so() {
    let host = FakeHost::answering(vec![answer(
        400,
        &answer_fixture("constructed-getfile-too-big.json"),
    )]);
    let failure = download_request(&host, &photo()).expect_err("too big");
    assert!(!failure.retryable);
    assert!(
        failure
            .message
            .contains("over Telegram's 20 MB bot download limit"),
        "{}",
        failure.message
    );
}

#[test]
fn flood_control_is_retried_after_the_delay_telegram_asks_for() {
    let host = FakeHost::answering(vec![answer(
        429,
        &answer_fixture("constructed-flood-control.json"),
    )]);
    let failure = download_request(&host, &photo()).expect_err("429");
    assert!(failure.retryable);
    assert_eq!(failure.retry_after_secs, Some(5));
    assert!(
        failure.message.starts_with("getFile: "),
        "{}",
        failure.message
    );
}

#[test]
fn lookup_failures_are_retried_only_when_they_may_pass() {
    let cases = [
        (Err(FetchFailure::Timeout), true),
        (answer(502, "Bad Gateway"), true),
        (
            Err(FetchFailure::Denied("origin not granted".to_owned())),
            false,
        ),
        (
            answer(
                400,
                r#"{"ok":false,"error_code":400,"description":"Bad Request: invalid file_id"}"#,
            ),
            false,
        ),
        (
            answer(
                401,
                r#"{"ok":false,"error_code":401,"description":"Unauthorized"}"#,
            ),
            false,
        ),
    ];
    for (outcome, retryable) in cases {
        let shown = format!("{outcome:?}");
        let host = FakeHost::answering(vec![outcome]);
        let failure = download_request(&host, &photo()).expect_err(&shown);
        assert_eq!(failure.retryable, retryable, "{shown}");
        assert!(
            failure.message.starts_with("getFile: "),
            "{}",
            failure.message
        );
    }
}

#[test]
fn a_path_that_could_lead_elsewhere_is_refused_without_showing_it() {
    for path in [
        "/var/lib/telegram-bot-api/123456:SECRET/documents/file_0.pdf",
        "documents/../sendMessage",
        "documents/./file_0.pdf",
        "documents\\file_0.pdf",
        "documents//file_0.pdf",
        "",
    ] {
        let body = json!({"ok": true, "result": {"file_id": "x", "file_unique_id": "u", "file_path": path}});
        let host = FakeHost::answering(vec![ok(&body.to_string())]);
        let failure = download_request(&host, &photo()).expect_err(path);
        assert!(!failure.retryable, "{path}");
        assert!(!failure.message.contains("SECRET"), "{}", failure.message);
    }
    let host = FakeHost::answering(vec![ok(
        r#"{"ok":true,"result":{"file_id":"x","file_unique_id":"u","file_size":42}}"#,
    )]);
    let failure = download_request(&host, &photo()).expect_err("no path");
    assert!(!failure.retryable);
    assert!(failure.message.contains("file_path"), "{}", failure.message);
}

#[test]
fn unusual_characters_in_the_path_are_percent_encoded() {
    let body = json!({"ok": true, "result": {"file_id": "x", "file_unique_id": "u",
                      "file_path": "documents/Q3 report#1?é%2F.pdf"}});
    let host = FakeHost::answering(vec![ok(&body.to_string())]);
    let download = download_request(&host, &photo()).expect("planned");
    assert_eq!(
        download.url,
        "https://api.telegram.org/file/bot{{secret:bot_token}}/documents/Q3%20report%231%3F%C3%A9%252F.pdf"
    );
}

#[test]
fn an_attachment_without_a_file_id_is_not_looked_up() {
    let host = FakeHost::default();
    let failure =
        download_request(&host, &Attachment::new(AttachmentKind::Document, "")).expect_err("empty");
    assert!(!failure.retryable);
    assert!(host.requests.borrow().is_empty());
}
