//! Replies with files, checked request by request against Slack's documented
//! answers (see the fixtures' README).

use serde_json::json;
use switchboard_channel_sdk::fake::{FakeHost, answer, ok};
use switchboard_channel_sdk::{
    AttachmentKind, Body, FetchFailure, Inbound, Request, Response, header,
};

use super::*;
use crate::outbound::respond;
use crate::tests::fixture;

const SLACK: &str = "https://slack.com/api";
const FORM: &str = "application/x-www-form-urlencoded";
const TOKEN: &str = "Bearer {{secret:bot_token}}";

/// A Web API answer from `tests/fixtures/slack/answers/`.
fn documented(name: &str) -> Result<Response, FetchFailure> {
    let body = fixture(&format!("answers/{name}"));
    ok(std::str::from_utf8(&body).expect("fixture is UTF-8"))
}

/// `files.getUploadURLExternal` as documented: upload URL `.../ABC123...`,
/// file id `F123ABC456`.
fn upload_url() -> Result<Response, FetchFailure> {
    documented("slackdocs-files.getUploadURLExternal.json")
}

/// The same answer for file `n` of a reply with several.
fn upload_url_for(n: usize) -> Result<Response, FetchFailure> {
    ok(&json!({
        "ok": true,
        "upload_url": format!("https://files.slack.com/upload/v1/ABC{n}"),
        "file_id": format!("F{n}"),
    })
    .to_string())
}

/// The upload URL takes the file; only the status is read.
fn uploaded() -> Result<Response, FetchFailure> {
    Ok(Response::text(200, "OK"))
}

fn completed() -> Result<Response, FetchFailure> {
    documented("slackdocs-files.completeUploadExternal.json")
}

fn blob(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

fn file(
    kind: AttachmentKind,
    mime_type: &str,
    size: u64,
    name: Option<&str>,
) -> OutboundAttachment {
    OutboundAttachment {
        kind,
        mime_type: mime_type.to_owned(),
        size,
        file_name: name.map(str::to_owned),
        caption: None,
        blob: blob(1),
    }
}

fn answered() -> Inbound {
    Inbound {
        external_id: "C1:1700000000.000200".to_owned(),
        conversation_id: "C1".to_owned(),
        sender_id: "U1".to_owned(),
        text: Some("send me the chart".to_owned()),
        thread_id: Some("1700000000.000100".to_owned()),
        metadata: json!({"source": "event", "channel": "C1", "ts": "1700000000.000200"})
            .to_string(),
        ..Inbound::default()
    }
}

/// An answer in the thread of the message answered, as the host hands it over.
fn reply_with(attachments: Vec<OutboundAttachment>, text: &str) -> Reply {
    Reply {
        conversation_id: "C1".to_owned(),
        thread_id: Some("1700000000.000100".to_owned()),
        text: text.to_owned(),
        attachments,
        in_reply_to: Some(answered()),
        idempotency_key: "reply-7".to_owned(),
    }
}

fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
}

fn json_body(request: &Request) -> Value {
    serde_json::from_slice(request.body.bytes().expect("a JSON body")).expect("JSON")
}

fn form_body(request: &Request) -> String {
    String::from_utf8(request.body.bytes().expect("a form body").to_vec()).expect("UTF-8")
}

fn assert_asks_for_upload_url(request: &Request, form: &str) {
    assert_eq!(request.method, "POST");
    assert_eq!(request.url, format!("{SLACK}/files.getUploadURLExternal"));
    assert_eq!(
        request.headers,
        headers(&[("content-type", FORM), ("authorization", TOKEN)])
    );
    assert_eq!(form_body(request), form);
}

/// The upload streams the blob as the raw body, with no token: the URL is its
/// own authorisation.
fn assert_uploads(request: &Request, url: &str, content_type: &str, blob: &str) {
    assert_eq!(request.method, "POST");
    assert_eq!(request.url, url);
    assert_eq!(request.headers, headers(&[("content-type", content_type)]));
    assert_eq!(request.body, Body::Blob(blob.to_owned()));
}

fn assert_shares(request: &Request, body: &Value) {
    assert_eq!(request.method, "POST");
    assert_eq!(request.url, format!("{SLACK}/files.completeUploadExternal"));
    assert_eq!(
        header(&request.headers, "authorization"),
        Some(TOKEN),
        "the share carries the token"
    );
    assert_eq!(&json_body(request), body);
}

#[test]
fn an_image_reply_is_uploaded_then_shared_into_the_answered_thread() {
    let host = FakeHost::answering(vec![upload_url(), uploaded(), completed()]);
    let image = file(AttachmentKind::Image, "image/png", 92582, None);
    let receipt = respond(&host, &reply_with(vec![image], "")).expect("sent");
    // The documented answer lists no shares: Slack shares in the background.
    assert_eq!(receipt, None);
    let requests = host.requests.borrow();
    assert_eq!(requests.len(), 3);
    assert_asks_for_upload_url(&requests[0], "filename=image.png&length=92582");
    assert_uploads(
        &requests[1],
        "https://files.slack.com/upload/v1/ABC123...",
        "image/png",
        &blob(1),
    );
    assert_shares(
        &requests[2],
        &json!({
            "files": [{"id": "F123ABC456", "title": "image.png"}],
            "channel_id": "C1",
            "thread_ts": "1700000000.000100",
        }),
    );
    assert!(
        host.state.borrow().is_empty(),
        "progress is forgotten once sent"
    );
}

#[test]
fn a_document_keeps_its_name() {
    let host = FakeHost::answering(vec![upload_url(), uploaded(), completed()]);
    let pdf = file(
        AttachmentKind::Document,
        "application/pdf",
        4096,
        Some("Q3 report.pdf"),
    );
    respond(&host, &reply_with(vec![pdf], "")).expect("sent");
    let requests = host.requests.borrow();
    assert_asks_for_upload_url(&requests[0], "filename=Q3+report.pdf&length=4096");
    assert_uploads(
        &requests[1],
        "https://files.slack.com/upload/v1/ABC123...",
        "application/pdf",
        &blob(1),
    );
    assert_eq!(
        json_body(&requests[2])["files"],
        json!([{"id": "F123ABC456", "title": "Q3 report.pdf"}])
    );
}

#[test]
fn text_and_a_file_are_one_message_the_text_introducing_the_file() {
    let host = FakeHost::answering(vec![upload_url(), uploaded(), completed()]);
    let chart = OutboundAttachment {
        caption: Some("March".to_owned()),
        ..file(AttachmentKind::Image, "image/jpeg", 2048, Some("chart.jpg"))
    };
    respond(&host, &reply_with(vec![chart], "Here is the chart.")).expect("sent");
    let requests = host.requests.borrow();
    assert_eq!(requests.len(), 3, "no separate chat.postMessage");
    assert_shares(
        &requests[2],
        &json!({
            "files": [{"id": "F123ABC456", "title": "March"}],
            "channel_id": "C1",
            "thread_ts": "1700000000.000100",
            "initial_comment": "Here is the chart.",
        }),
    );
}

#[test]
fn a_message_the_agent_writes_first_goes_to_its_conversation() {
    let host = FakeHost::answering(vec![
        upload_url(),
        uploaded(),
        documented("constructed-files.completeUploadExternal-shared.json"),
    ]);
    let first = Reply {
        conversation_id: "C0A1BC2DE:1531763273.000015".to_owned(),
        thread_id: None,
        in_reply_to: None,
        ..reply_with(
            vec![file(
                AttachmentKind::Image,
                "image/gif",
                137531,
                Some("tedair.gif"),
            )],
            "FYI",
        )
    };
    let receipt = respond(&host, &first).expect("sent");
    assert_eq!(receipt.as_deref(), Some("C0A1BC2DE:1531763348.000001"));
    assert_shares(
        &host.requests.borrow()[2],
        &json!({
            "files": [{"id": "F123ABC456", "title": "tedair.gif"}],
            "channel_id": "C0A1BC2DE",
            "thread_ts": "1531763273.000015",
            "initial_comment": "FYI",
        }),
    );

    // Without a thread in the conversation id, it goes to the channel itself.
    let host = FakeHost::answering(vec![upload_url(), uploaded(), completed()]);
    let top_level = Reply {
        conversation_id: "C2".to_owned(),
        thread_id: None,
        in_reply_to: None,
        ..reply_with(vec![file(AttachmentKind::Image, "image/png", 1, None)], "")
    };
    respond(&host, &top_level).expect("sent");
    let body = json_body(&host.requests.borrow()[2]);
    assert_eq!(body["channel_id"], "C2");
    assert!(body.get("thread_ts").is_none(), "{body}");
}

#[test]
fn a_retry_after_a_failed_upload_does_not_upload_the_first_file_again() {
    let two = vec![
        file(AttachmentKind::Image, "image/png", 10, Some("a.png")),
        OutboundAttachment {
            blob: blob(2),
            ..file(AttachmentKind::Document, "text/plain", 20, Some("b.txt"))
        },
    ];
    let reply = reply_with(two, "both");
    let host = FakeHost::answering(vec![upload_url_for(1), uploaded(), answer(503, "busy")]);
    let failure = respond(&host, &reply).expect_err("second file fails");
    assert!(failure.retryable);
    assert_eq!(
        failure.message,
        "file 2 of 2: files.getUploadURLExternal: http 503: busy"
    );

    host.requests.borrow_mut().clear();
    host.answers
        .borrow_mut()
        .extend([upload_url_for(2), uploaded(), completed()]);
    respond(&host, &reply).expect("the retry finishes");
    let requests = host.requests.borrow();
    assert_eq!(requests.len(), 3, "{requests:#?}");
    assert_asks_for_upload_url(&requests[0], "filename=b.txt&length=20");
    assert_uploads(
        &requests[1],
        "https://files.slack.com/upload/v1/ABC2",
        "text/plain",
        &blob(2),
    );
    assert_eq!(
        json_body(&requests[2])["files"],
        json!([{"id": "F1", "title": "a.png"}, {"id": "F2", "title": "b.txt"}])
    );
    assert!(host.state.borrow().is_empty());
}

#[test]
fn a_failed_upload_is_retried_with_a_fresh_upload_url() {
    let reply = reply_with(vec![file(AttachmentKind::Image, "image/png", 10, None)], "");
    let host = FakeHost::answering(vec![upload_url_for(1), Err(FetchFailure::Timeout)]);
    let failure = respond(&host, &reply).expect_err("upload times out");
    assert!(failure.retryable);
    assert_eq!(failure.message, "file 1 of 1: upload: request timed out");

    host.requests.borrow_mut().clear();
    host.answers
        .borrow_mut()
        .extend([upload_url_for(2), uploaded(), completed()]);
    respond(&host, &reply).expect("the retry finishes");
    let requests = host.requests.borrow();
    assert_eq!(requests[1].url, "https://files.slack.com/upload/v1/ABC2");
    assert_eq!(json_body(&requests[2])["files"][0]["id"], "F2");
}

/// Twelve files: more requests than one call may make, and more files than one
/// message shows. Each attempt goes on where the last one stopped.
#[test]
fn many_files_go_out_over_several_attempts_and_no_share_is_repeated() {
    let files: Vec<OutboundAttachment> = (1..=12)
        .map(|n| OutboundAttachment {
            blob: blob(n),
            ..file(
                AttachmentKind::Image,
                "image/png",
                u64::from(n),
                Some(&format!("{n}.png")),
            )
        })
        .collect();
    let reply = reply_with(files, "a dozen");
    let host = FakeHost::default();
    let script = |answers: Vec<Result<Response, FetchFailure>>| {
        host.requests.borrow_mut().clear();
        host.answers.borrow_mut().extend(answers);
    };

    // 1st attempt: eight uploads use up the sixteen requests.
    script(
        (1..=8)
            .flat_map(|n| [upload_url_for(n), uploaded()])
            .collect(),
    );
    let failure = respond(&host, &reply).expect_err("out of requests");
    assert!(failure.retryable);
    assert!(
        failure.message.starts_with("8 of 12 files uploaded"),
        "{}",
        failure.message
    );
    assert_eq!(host.requests.borrow().len(), 16);

    // 2nd attempt: the last four, the first share, and the second share fails.
    let mut answers: Vec<_> = (9..=12)
        .flat_map(|n| [upload_url_for(n), uploaded()])
        .collect();
    answers.push(ok(&json!({
        "ok": true,
        "files": [{"id": "F1", "shares": {"private": {"C1": [{"ts": "1700000000.000300"}]}}}],
    })
    .to_string()));
    answers.push(answer(200, r#"{"ok":false,"error":"ratelimited"}"#));
    script(answers);
    let failure = respond(&host, &reply).expect_err("second share rate limited");
    assert!(failure.retryable);
    assert_eq!(
        failure.message,
        "files.completeUploadExternal: slack error: ratelimited"
    );
    {
        let requests = host.requests.borrow();
        assert_eq!(requests.len(), 10);
        assert_asks_for_upload_url(&requests[0], "filename=9.png&length=9");
        let first_share = json_body(&requests[8]);
        let ids: Vec<String> = (1..=10).map(|n| format!("F{n}")).collect();
        assert_eq!(
            first_share["files"]
                .as_array()
                .expect("files")
                .iter()
                .map(|f| f["id"].as_str().expect("id").to_owned())
                .collect::<Vec<_>>(),
            ids
        );
        assert_eq!(first_share["initial_comment"], "a dozen");
    }

    // 3rd attempt: only the second share, without the text again.
    script(vec![completed()]);
    let receipt = respond(&host, &reply).expect("sent");
    let requests = host.requests.borrow();
    assert_eq!(requests.len(), 1);
    assert_shares(
        &requests[0],
        &json!({
            "files": [{"id": "F11", "title": "11.png"}, {"id": "F12", "title": "12.png"}],
            "channel_id": "C1",
            "thread_ts": "1700000000.000100",
        }),
    );
    // The receipt is the first share's, remembered across attempts.
    assert_eq!(receipt.as_deref(), Some("C1:1700000000.000300"));
    assert!(host.state.borrow().is_empty());
}

#[test]
fn slack_refusing_the_upload_fails_for_good() {
    let reply = reply_with(vec![file(AttachmentKind::Image, "image/png", 10, None)], "");
    let host = FakeHost::answering(vec![documented(
        "slackdocs-files.getUploadURLExternal-error.json",
    )]);
    let failure = respond(&host, &reply).expect_err("invalid auth");
    assert!(!failure.retryable);
    assert_eq!(
        failure.message,
        "file 1 of 1: files.getUploadURLExternal: slack error: invalid_auth"
    );

    let host = FakeHost::answering(vec![upload_url(), answer(403, "forbidden")]);
    let failure = respond(&host, &reply).expect_err("upload refused");
    assert!(!failure.retryable);
    assert_eq!(failure.message, "file 1 of 1: upload: http 403: forbidden");
}

#[test]
fn an_upload_url_off_slacks_file_host_gets_no_file() {
    let reply = reply_with(vec![file(AttachmentKind::Image, "image/png", 10, None)], "");
    let host = FakeHost::answering(vec![ok(&json!({
        "ok": true,
        "upload_url": "https://attacker.example/upload/v1/ABC",
        "file_id": "F1",
    })
    .to_string())]);
    let failure = respond(&host, &reply).expect_err("refused");
    assert!(!failure.retryable);
    assert_eq!(
        failure.message,
        "file 1 of 1: files.getUploadURLExternal: upload URL: \
         https://attacker.example is not https://files.slack.com/upload/v1/"
    );
    assert_eq!(host.requests.borrow().len(), 1, "nothing was uploaded");
}

#[test]
fn a_mock_api_base_receives_the_uploads_it_hands_out() {
    let mut host = FakeHost::answering(vec![
        ok(r#"{"ok":true,"upload_url":"http://127.0.0.1:8099/upload/F1","file_id":"F1"}"#),
        uploaded(),
        completed(),
    ]);
    host.settings.insert(
        "api_base".to_owned(),
        "http://127.0.0.1:8099/api".to_owned(),
    );
    let reply = reply_with(vec![file(AttachmentKind::Image, "image/png", 10, None)], "");
    respond(&host, &reply).expect("sent");
    let requests = host.requests.borrow();
    assert_eq!(
        requests[0].url,
        "http://127.0.0.1:8099/api/files.getUploadURLExternal"
    );
    assert_eq!(requests[1].url, "http://127.0.0.1:8099/upload/F1");
    assert_eq!(
        requests[2].url,
        "http://127.0.0.1:8099/api/files.completeUploadExternal"
    );
}

#[test]
fn progress_that_does_not_fit_the_reply_is_ignored() {
    let reply = reply_with(vec![file(AttachmentKind::Image, "image/png", 10, None)], "");
    let host = FakeHost::answering(vec![upload_url(), uploaded(), completed()]);
    host.state.borrow_mut().insert(
        "reply/reply-7/files".to_owned(),
        br#"{"uploaded":["F8","F9"],"shared":[]}"#.to_vec(),
    );
    respond(&host, &reply).expect("sent");
    assert_eq!(host.requests.borrow().len(), 3, "started over");
}
