use serde_json::json;
use switchboard_channel_sdk::fake::{FakeHost, answer};
use switchboard_channel_sdk::{
    AttachmentKind, Body, FetchFailure, FormPart, Inbound, Kind, OutboundAttachment, Request,
};

use super::*;

fn answered(external_id: &str, metadata: serde_json::Value) -> Inbound {
    Inbound {
        external_id: external_id.to_owned(),
        conversation_id: external_id
            .rsplit_once(':')
            .map(|(chat, _)| chat.to_owned())
            .unwrap_or_default(),
        sender_id: "1".to_owned(),
        text: Some("question".to_owned()),
        timestamp: 1,
        kind: Kind::Text,
        metadata: metadata.to_string(),
        ..Inbound::default()
    }
}

fn reply(text: &str, in_reply_to: Option<Inbound>) -> Reply {
    Reply {
        conversation_id: in_reply_to
            .as_ref()
            .map_or("42".to_owned(), |m| m.conversation_id.clone()),
        thread_id: in_reply_to.as_ref().and_then(|m| m.thread_id.clone()),
        text: text.to_owned(),
        in_reply_to,
        idempotency_key: "key-1".to_owned(),
        ..Reply::default()
    }
}

fn sent(message_id: i64, chat_id: i64) -> String {
    json!({"ok": true, "result": {"message_id": message_id, "chat": {"id": chat_id}}}).to_string()
}

#[test]
fn a_reply_quotes_the_answered_message_and_returns_its_receipt() {
    let host = FakeHost::answering(vec![answer(200, &sent(99, -1001234567890))]);
    let question = answered("-1001234567890:1365", json!({"chat_type": "supergroup"}));
    let receipt = respond(&host, &reply("answer", Some(question))).expect("sent");
    assert_eq!(receipt.as_deref(), Some("-1001234567890:99"));
    let requests = host.requests.borrow();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].url,
        "https://api.telegram.org/bot{{secret:bot_token}}/sendMessage"
    );
    assert_eq!(
        host.sent_bodies()[0],
        json!({"chat_id": -1001234567890_i64, "text": "answer",
               "reply_parameters": {"message_id": 1365, "allow_sending_without_reply": true}})
    );
}

#[test]
fn a_reply_without_a_question_is_a_plain_message_to_the_conversation() {
    let host = FakeHost::answering(vec![answer(200, &sent(5, 42))]);
    let receipt = respond(&host, &reply("hello", None)).expect("sent");
    assert_eq!(receipt.as_deref(), Some("42:5"));
    assert_eq!(
        host.sent_bodies()[0],
        json!({"chat_id": 42, "text": "hello"})
    );
}

#[test]
fn replies_stay_in_the_forum_topic_but_not_in_plain_reply_threads() {
    let host = FakeHost::answering(vec![
        answer(200, &sent(1, -100)),
        answer(200, &sent(2, -100)),
    ]);
    let in_topic = answered(
        "-100:50",
        json!({"message_thread_id": 44, "is_topic_message": true}),
    );
    respond(&host, &reply("a", Some(in_topic))).expect("sent");
    let in_thread = answered("-100:51", json!({"message_thread_id": 44}));
    respond(&host, &reply("b", Some(in_thread))).expect("sent");
    let bodies = host.sent_bodies();
    assert_eq!(bodies[0]["message_thread_id"], 44);
    assert!(
        bodies[1].get("message_thread_id").is_none(),
        "{}",
        bodies[1]
    );
}

#[test]
fn the_reply_thread_is_sent_for_topics_and_for_first_messages_but_not_for_reply_threads() {
    let host = FakeHost::answering(vec![
        answer(200, &sent(1, -100)),
        answer(200, &sent(2, -100)),
        answer(200, &sent(3, -100)),
    ]);
    // A message in a forum topic, as this version emits it.
    let mut in_topic = answered(
        "-100:60",
        json!({"message_thread_id": 45, "is_topic_message": true}),
    );
    in_topic.thread_id = Some("45".to_owned());
    respond(&host, &reply("a", Some(in_topic))).expect("sent");
    // A reply thread of a supergroup without topics: sendMessage would refuse it.
    let mut in_thread = answered("-100:61", json!({"message_thread_id": 134545}));
    in_thread.thread_id = Some("134545".to_owned());
    respond(&host, &reply("b", Some(in_thread))).expect("sent");
    // A message the agent writes first, into a topic it names.
    let first = Reply {
        conversation_id: "-100".to_owned(),
        thread_id: Some("46".to_owned()),
        ..reply("c", None)
    };
    respond(&host, &first).expect("sent");
    let bodies = host.sent_bodies();
    assert_eq!(bodies[0]["message_thread_id"], 45);
    assert!(
        bodies[1].get("message_thread_id").is_none(),
        "{}",
        bodies[1]
    );
    assert_eq!(bodies[2]["message_thread_id"], 46);
    assert_eq!(bodies[2]["chat_id"], -100);
}

#[test]
fn an_answer_to_a_button_tap_quotes_the_message_with_the_keyboard() {
    let host = FakeHost::answering(vec![answer(200, &sent(70, 996202131))]);
    let tap = Inbound {
        external_id: "callback:4278655576057498272".to_owned(),
        conversation_id: "996202131".to_owned(),
        reply_to: Some("996202131:60".to_owned()),
        kind: Kind::Button,
        ..Inbound::default()
    };
    respond(&host, &reply("noted", Some(tap))).expect("sent");
    assert_eq!(
        host.sent_bodies()[0],
        json!({"chat_id": 996202131_i64, "text": "noted",
               "reply_parameters": {"message_id": 60, "allow_sending_without_reply": true}})
    );
}

#[test]
fn the_api_base_setting_redirects_calls() {
    let mut host = FakeHost::answering(vec![answer(200, &sent(1, 42))]);
    host.settings
        .insert("api_base".to_owned(), "http://127.0.0.1:9/".to_owned());
    respond(&host, &reply("x", None)).expect("sent");
    assert_eq!(
        host.requests.borrow()[0].url,
        "http://127.0.0.1:9/bot{{secret:bot_token}}/sendMessage"
    );
}

#[test]
fn long_replies_are_split_and_only_the_first_part_quotes() {
    let text = format!("{}\n{}", "a".repeat(4000), "b".repeat(200));
    let host = FakeHost::answering(vec![answer(200, &sent(10, 42)), answer(200, &sent(11, 42))]);
    let question = answered("42:7", json!({}));
    let receipt = respond(&host, &reply(&text, Some(question))).expect("sent");
    assert_eq!(receipt.as_deref(), Some("42:10"));
    let bodies = host.sent_bodies();
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0]["reply_parameters"]["message_id"], 7);
    assert!(bodies[1].get("reply_parameters").is_none());
    let rejoined = format!(
        "{}{}",
        bodies[0]["text"].as_str().expect("text"),
        bodies[1]["text"].as_str().expect("text")
    );
    assert_eq!(rejoined, text);
    assert!(
        host.state.borrow().is_empty(),
        "progress is cleared when done"
    );
}

#[test]
fn a_retry_after_a_partial_send_sends_only_the_missing_parts() {
    let text = format!("{}{}{}", "a".repeat(4096), "b".repeat(4096), "c".repeat(10));
    let host = FakeHost::answering(vec![answer(200, &sent(10, 42)), answer(502, "Bad Gateway")]);
    let failure = respond(&host, &reply(&text, None)).expect_err("second part fails");
    assert!(failure.retryable);
    assert!(
        failure.message.starts_with("sendMessage: "),
        "{}",
        failure.message
    );

    host.answers
        .borrow_mut()
        .extend([answer(200, &sent(11, 42)), answer(200, &sent(12, 42))]);
    let receipt = respond(&host, &reply(&text, None)).expect("retry completes");
    assert_eq!(receipt.as_deref(), Some("42:10"));
    let first_chars: String = host
        .sent_bodies()
        .iter()
        .map(|body| {
            body["text"]
                .as_str()
                .and_then(|t| t.chars().next())
                .unwrap_or('?')
        })
        .collect();
    assert_eq!(first_chars, "abbc", "the first part was not resent");
    assert!(host.state.borrow().is_empty());
}

#[test]
fn flood_control_and_network_errors_are_retryable() {
    let host = FakeHost::answering(vec![
        answer(
            429,
            r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}}"#,
        ),
        Err(FetchFailure::Timeout),
    ]);
    let failure = respond(&host, &reply("x", None)).expect_err("429");
    assert!(failure.retryable);
    assert_eq!(failure.retry_after_secs, Some(3));
    let failure = respond(&host, &reply("x", None)).expect_err("timeout");
    assert!(failure.retryable);
}

#[test]
fn a_blocked_bot_is_a_permanent_failure() {
    let host = FakeHost::answering(vec![answer(
        403,
        r#"{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}"#,
    )]);
    let failure = respond(&host, &reply("x", None)).expect_err("403");
    assert!(!failure.retryable);
    assert!(failure.message.contains("blocked"), "{}", failure.message);
}

fn answer_fixture(name: &str) -> String {
    let path = format!(
        "{}/../../tests/fixtures/telegram/answers/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

const CHART: &str = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00";
const REPORT: &str = "d0c0d0c0d0c0d0c0d0c0d0c0d0c0d0c0d0c0d0c0d0c0d0c0d0c0d0c0d0c0d0c0";

fn chart() -> OutboundAttachment {
    OutboundAttachment {
        kind: AttachmentKind::Image,
        mime_type: "image/png".to_owned(),
        size: 48211,
        file_name: Some("latency.png".to_owned()),
        caption: None,
        blob: CHART.to_owned(),
    }
}

fn report() -> OutboundAttachment {
    OutboundAttachment {
        kind: AttachmentKind::Document,
        mime_type: "application/pdf".to_owned(),
        size: 48213,
        file_name: Some("Q3 report.pdf".to_owned()),
        caption: None,
        blob: REPORT.to_owned(),
    }
}

fn form(request: &Request) -> &[FormPart] {
    match &request.body {
        Body::Multipart(parts) => parts,
        other => panic!("{} is not multipart: {other:?}", request.url),
    }
}

fn method(request: &Request) -> &str {
    request.url.rsplit('/').next().unwrap_or_default()
}

fn quote(message_id: i64) -> FormPart {
    FormPart::text(
        "reply_parameters",
        json!({"message_id": message_id, "allow_sending_without_reply": true}).to_string(),
    )
}

#[test]
fn an_image_reply_is_one_photo_captioned_with_the_text() {
    let host = FakeHost::answering(vec![answer(
        200,
        &answer_fixture("constructed-sendphoto.json"),
    )]);
    let question = answered("-1001000000001:101", json!({"chat_type": "supergroup"}));
    let image = Reply {
        attachments: vec![chart()],
        ..reply("p99 latency, last 24 hours", Some(question))
    };
    let receipt = respond(&host, &image).expect("sent");
    assert_eq!(receipt.as_deref(), Some("-1001000000001:301"));
    let requests = host.requests.borrow();
    assert_eq!(requests.len(), 1, "the text rides along as the caption");
    assert_eq!(requests[0].method, "POST");
    assert_eq!(
        requests[0].url,
        "https://api.telegram.org/bot{{secret:bot_token}}/sendPhoto"
    );
    assert_eq!(
        form(&requests[0]),
        [
            FormPart::text("chat_id", "-1001000000001"),
            quote(101),
            FormPart::text("caption", "p99 latency, last 24 hours"),
            FormPart::blob(
                "photo",
                CHART,
                Some("latency.png".to_owned()),
                Some("image/png".to_owned())
            ),
        ]
    );
    assert!(host.state.borrow().is_empty(), "one part needs no progress");
}

#[test]
fn a_document_reply_keeps_its_file_name_and_caption() {
    let host = FakeHost::answering(vec![answer(
        200,
        &answer_fixture("constructed-senddocument.json"),
    )]);
    let question = answered("1111111:55", json!({"chat_type": "private"}));
    let document = Reply {
        attachments: vec![OutboundAttachment {
            caption: Some("Q3, final".to_owned()),
            ..report()
        }],
        ..reply("", Some(question))
    };
    let receipt = respond(&host, &document).expect("sent");
    assert_eq!(receipt.as_deref(), Some("1111111:302"));
    let requests = host.requests.borrow();
    assert_eq!(requests.len(), 1);
    assert_eq!(method(&requests[0]), "sendDocument");
    assert_eq!(
        form(&requests[0]),
        [
            FormPart::text("chat_id", "1111111"),
            quote(55),
            FormPart::text("caption", "Q3, final"),
            FormPart::blob(
                "document",
                REPORT,
                Some("Q3 report.pdf".to_owned()),
                Some("application/pdf".to_owned())
            ),
        ]
    );
}

#[test]
fn text_goes_first_when_the_file_has_its_own_caption_and_only_it_quotes() {
    let host = FakeHost::answering(vec![
        answer(200, &sent(40, 42)),
        answer(200, &answer_fixture("constructed-senddocument.json")),
    ]);
    let question = answered("42:7", json!({}));
    let both = Reply {
        attachments: vec![OutboundAttachment {
            caption: Some("the report".to_owned()),
            ..report()
        }],
        ..reply("Here is what you asked for.", Some(question))
    };
    let receipt = respond(&host, &both).expect("sent");
    assert_eq!(
        receipt.as_deref(),
        Some("42:40"),
        "the first part is the receipt"
    );
    let requests = host.requests.borrow();
    assert_eq!(requests.len(), 2);
    assert_eq!(method(&requests[0]), "sendMessage");
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(requests[0].body.bytes().expect("json"))
            .expect("json"),
        json!({"chat_id": 42, "text": "Here is what you asked for.",
               "reply_parameters": {"message_id": 7, "allow_sending_without_reply": true}})
    );
    assert_eq!(method(&requests[1]), "sendDocument");
    assert_eq!(
        form(&requests[1]),
        [
            FormPart::text("chat_id", "42"),
            FormPart::text("caption", "the report"),
            FormPart::blob(
                "document",
                REPORT,
                Some("Q3 report.pdf".to_owned()),
                Some("application/pdf".to_owned())
            ),
        ]
    );
    assert!(
        host.state.borrow().is_empty(),
        "progress is cleared when done"
    );
}

#[test]
fn an_agent_initiated_send_goes_to_the_chat_and_topic_without_a_quote() {
    let host = FakeHost::answering(vec![answer(200, &sent(9, -100))]);
    let first = Reply {
        conversation_id: "-1001000000001".to_owned(),
        thread_id: Some("46".to_owned()),
        attachments: vec![OutboundAttachment {
            kind: AttachmentKind::Voice,
            mime_type: "audio/ogg".to_owned(),
            file_name: None,
            ..report()
        }],
        ..reply("", None)
    };
    respond(&host, &first).expect("sent");
    let requests = host.requests.borrow();
    assert_eq!(method(&requests[0]), "sendVoice");
    assert_eq!(
        form(&requests[0]),
        [
            FormPart::text("chat_id", "-1001000000001"),
            FormPart::text("message_thread_id", "46"),
            FormPart::blob(
                "voice",
                REPORT,
                Some("voice.ogg".to_owned()),
                Some("audio/ogg".to_owned())
            ),
        ]
    );
}

#[test]
fn a_retry_after_a_failed_upload_sends_only_what_did_not_go_out() {
    let clip = OutboundAttachment {
        kind: AttachmentKind::Video,
        mime_type: "video/mp4".to_owned(),
        file_name: Some("clip.mp4".to_owned()),
        ..report()
    };
    let three = Reply {
        attachments: vec![chart(), clip],
        ..reply(&"x".repeat(1500), None)
    };
    let host = FakeHost::answering(vec![
        answer(200, &sent(20, 42)),
        answer(200, &sent(21, 42)),
        answer(429, &answer_fixture("constructed-flood-control.json")),
    ]);
    let failure = respond(&host, &three).expect_err("the video fails");
    assert!(failure.retryable);
    assert_eq!(failure.retry_after_secs, Some(5));
    assert!(
        failure.message.starts_with("sendVideo: "),
        "{}",
        failure.message
    );

    host.answers
        .borrow_mut()
        .push_back(answer(200, &sent(22, 42)));
    let receipt = respond(&host, &three).expect("the retry completes");
    assert_eq!(receipt.as_deref(), Some("42:20"));
    let methods: Vec<String> = host
        .requests
        .borrow()
        .iter()
        .map(|r| method(r).to_owned())
        .collect();
    assert_eq!(
        methods,
        ["sendMessage", "sendPhoto", "sendVideo", "sendVideo"],
        "the text and the photo were not sent again"
    );
    assert!(host.state.borrow().is_empty());
}

#[test]
fn an_empty_reply_fails_permanently_without_calling_telegram() {
    let host = FakeHost::default();
    let failure = respond(&host, &reply("", None)).expect_err("empty");
    assert!(!failure.retryable);
    assert!(host.requests.borrow().is_empty());
}
