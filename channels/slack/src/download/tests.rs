use switchboard_channel_sdk::fake::FakeHost;
use switchboard_channel_sdk::{AttachmentKind, Body};

use super::*;
use crate::tests::emitted;

fn attachment(kind: AttachmentKind, mime_type: &str, reference: &str) -> Attachment {
    Attachment {
        mime_type: Some(mime_type.to_owned()),
        ..Attachment::new(kind, reference)
    }
}

/// The download the host performs: a bare authenticated GET, nothing fetched by
/// the channel first.
fn assert_authenticated_get(host: &FakeHost, request: &Request, url: &str) {
    assert_eq!(request.method, "GET");
    assert_eq!(request.url, url);
    assert_eq!(
        request.headers,
        [(
            "authorization".to_owned(),
            "Bearer {{secret:bot_token}}".to_owned()
        )]
    );
    assert_eq!(request.body, Body::Bytes(Vec::new()));
    assert!(host.requests.borrow().is_empty(), "no lookup is needed");
}

#[test]
fn every_kind_of_file_is_a_get_of_its_private_url_with_the_bot_token() {
    let host = FakeHost::default();
    for (kind, mime_type, url) in [
        (
            AttachmentKind::Image,
            "image/png",
            "https://files.slack.com/files-pri/T0001-F0001/chart.png",
        ),
        (
            AttachmentKind::Audio,
            "audio/mpeg",
            "https://files.slack.com/files-pri/T0001-F0002/memo.mp3",
        ),
        (
            AttachmentKind::Video,
            "video/mp4",
            "https://files.slack.com/files-pri/T0001-F0003/clip.mp4",
        ),
        (
            AttachmentKind::Document,
            "application/pdf",
            "https://files.slack.com/files-pri/T0001-F0004/invoice.pdf",
        ),
    ] {
        let request = download_request(&host, &attachment(kind, mime_type, url)).expect("planned");
        assert_authenticated_get(&host, &request, url);
    }
}

#[test]
fn files_shared_in_events_download_from_the_url_the_event_gave() {
    let host = FakeHost::default();
    for (fixture, url) in [
        (
            "bolt-python-message-file_share.json",
            "https://files.slack.com/files-pri/T111-F111/file.png",
        ),
        (
            "slack-web-message_file_share.json",
            "https://files.slack.com/files-pri/T043DB835ML-F04EEHX1EES/namenamename.txt",
        ),
    ] {
        let message = emitted(fixture);
        let request = download_request(&host, &message.attachments[0]).expect(fixture);
        assert_authenticated_get(&host, &request, url);
    }
}

#[test]
fn a_crafted_url_never_gets_the_token() {
    let host = FakeHost::default();
    for reference in [
        "https://attacker.example/files-pri/T1-F1/x.png",
        "https://files.slack.com@attacker.example/files-pri/T1-F1/x.png",
        "http://files.slack.com/files-pri/T1-F1/x.png",
        "https://files.slack.com/upload/v1/ABC",
        "F0123456789",
    ] {
        let failure = download_request(
            &host,
            &attachment(AttachmentKind::Image, "image/png", reference),
        )
        .expect_err(reference);
        assert!(!failure.retryable, "{reference}");
        assert!(
            failure.message.starts_with("download refused: "),
            "{}",
            failure.message
        );
    }
    assert!(host.requests.borrow().is_empty());
}

#[test]
fn a_mock_api_base_may_serve_files_from_its_own_origin() {
    let mut host = FakeHost::default();
    host.settings.insert(
        "api_base".to_owned(),
        "http://127.0.0.1:8099/api".to_owned(),
    );
    let url = "http://127.0.0.1:8099/files-pri/T1-F1/x.png";
    let request = download_request(&host, &attachment(AttachmentKind::Image, "image/png", url))
        .expect("same origin as api_base");
    assert_authenticated_get(&host, &request, url);
    let elsewhere = "http://127.0.0.1:8100/files-pri/T1-F1/x.png";
    assert!(
        !download_request(
            &host,
            &attachment(AttachmentKind::Image, "image/png", elsewhere)
        )
        .expect_err("another port")
        .retryable
    );
}
