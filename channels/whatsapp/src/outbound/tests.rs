use serde_json::json;
use switchboard_channel_sdk::fake::{FakeHost, answer, ok};
use switchboard_channel_sdk::{
    AttachmentKind, ChatType, FetchFailure, OutboundAttachment, Request, Response, header,
};

use super::*;

const SENT: &str = r#"{"messaging_product":"whatsapp","contacts":[{"input":"7","wa_id":"7"}],"messages":[{"id":"wamid.OUT1"}]}"#;

fn sent(id: &str) -> String {
    format!(r#"{{"messaging_product":"whatsapp","messages":[{{"id":"{id}"}}]}}"#)
}

fn inbound() -> Inbound {
    Inbound {
        external_id: "wamid.IN".into(),
        conversation_id: "106540352242922:16505551234".into(),
        sender_id: "16505551234".into(),
        sender_name: Some("Sheena".into()),
        text: Some("Does it come in another color?".into()),
        timestamp: 1,
        reply_to: None,
        kind: Kind::Text,
        chat_type: ChatType::Direct,
        metadata: json!({ "phone_number_id": "106540352242922", "type": "text" }).to_string(),
        ..Inbound::default()
    }
}

fn reply(text: &str) -> Reply {
    Reply {
        conversation_id: "106540352242922:16505551234".into(),
        text: text.into(),
        idempotency_key: "reply-1".into(),
        ..Reply::default()
    }
}

fn body(request: &Request) -> Value {
    let bytes = request.body.bytes().expect("request body is bytes");
    serde_json::from_slice(bytes).expect("request body is json")
}

#[test]
fn reply_is_posted_in_the_documented_shape() {
    let host = FakeHost::answering(vec![ok(SENT)]);
    let receipt = respond(&host, &reply("Yes, in blue.")).expect("sent");
    assert_eq!(receipt.as_deref(), Some("wamid.OUT1"));

    let requests = host.requests.borrow();
    let [request] = &requests[..] else {
        panic!("one request expected, got {requests:?}")
    };
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.url,
        "https://graph.facebook.com/v23.0/106540352242922/messages"
    );
    assert_eq!(
        header(&request.headers, "authorization"),
        Some("Bearer {{secret:access_token}}")
    );
    assert_eq!(
        header(&request.headers, "content-type"),
        Some("application/json")
    );
    assert_eq!(
        body(request),
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "16505551234",
            "type": "text",
            "text": { "preview_url": false, "body": "Yes, in blue." },
        })
    );
}

#[test]
fn the_api_base_setting_redirects_requests() {
    let mut host = FakeHost::answering(vec![ok(SENT)]);
    host.settings
        .insert("api_base".into(), "http://127.0.0.1:9/mock/".into());
    respond(&host, &reply("hi")).expect("sent");
    assert_eq!(
        host.requests.borrow()[0].url,
        "http://127.0.0.1:9/mock/106540352242922/messages"
    );
}

#[test]
fn a_reply_quotes_the_message_it_answers() {
    let host = FakeHost::answering(vec![ok(SENT)]);
    let mut reply = reply("Yes.");
    reply.in_reply_to = Some(inbound());
    respond(&host, &reply).expect("sent");
    assert_eq!(
        body(&host.requests.borrow()[0])["context"],
        json!({ "message_id": "wamid.IN" })
    );
}

#[test]
fn long_replies_are_split_and_only_the_first_part_quotes() {
    let text = format!("{} {}", "a".repeat(5000), "é".repeat(4000));
    let host = FakeHost::answering(vec![
        ok(&sent("wamid.P1")),
        ok(&sent("wamid.P2")),
        ok(&sent("wamid.P3")),
    ]);
    let mut reply = reply(&text);
    reply.in_reply_to = Some(inbound());
    let receipt = respond(&host, &reply).expect("sent");
    assert_eq!(receipt.as_deref(), Some("wamid.P1"));

    let requests = host.requests.borrow();
    assert_eq!(requests.len(), 3);
    let bodies: Vec<Value> = requests.iter().map(body).collect();
    let texts: Vec<&str> = bodies
        .iter()
        .map(|b| b["text"]["body"].as_str().expect("text body"))
        .collect();
    assert_eq!(texts.concat(), text);
    assert!(texts.iter().all(|t| t.chars().count() <= 4096));
    assert_eq!(bodies[0]["context"]["message_id"], "wamid.IN");
    assert!(bodies[1].get("context").is_none());
    assert!(bodies[2].get("context").is_none());
    assert!(host.state.borrow().is_empty(), "bookkeeping is cleared");
}

#[test]
fn a_retried_split_reply_does_not_resend_delivered_parts() {
    let text = "x".repeat(4096 * 2 + 10);
    let host = FakeHost::answering(vec![ok(&sent("wamid.P1")), answer(503, "try later")]);
    let failure = respond(&host, &reply(&text)).expect_err("part 2 fails");
    assert!(failure.retryable);
    assert_eq!(failure.message, "send part 2 of 3: http 503: try later");

    // The host retries with the same idempotency key.
    host.answers
        .borrow_mut()
        .extend([ok(&sent("wamid.P2")), ok(&sent("wamid.P3"))]);
    let receipt = respond(&host, &reply(&text)).expect("sent");
    assert_eq!(receipt.as_deref(), Some("wamid.P1"));
    let requests = host.requests.borrow();
    assert_eq!(requests.len(), 4, "part 1 went out once");
    assert_eq!(body(&requests[2])["text"]["body"], "x".repeat(4096));
    assert!(host.state.borrow().is_empty());
}

#[test]
fn api_failures_are_classified() {
    let cases = [
        (
            answer(400, r#"{"error":{"message":"bad","code":131009}}"#),
            false,
            None,
        ),
        (
            Ok(Response {
                status: 429,
                headers: vec![("Retry-After".into(), "12".into())],
                body: vec![],
            }),
            true,
            Some(12),
        ),
        (answer(500, ""), true, None),
        (Err(FetchFailure::Timeout), true, None),
        (Err(FetchFailure::Network("reset".into())), true, None),
        (
            Err(FetchFailure::Denied("origin not granted".into())),
            false,
            None,
        ),
        (Err(FetchFailure::Invalid("bad header".into())), false, None),
    ];
    for (answer, retryable, retry_after) in cases {
        let shown = format!("{answer:?}");
        let host = FakeHost::answering(vec![answer]);
        let failure = respond(&host, &reply("hi")).expect_err("fails");
        assert_eq!(failure.retryable, retryable, "{shown}");
        assert_eq!(failure.retry_after_secs, retry_after, "{shown}");
        assert!(
            failure.message.starts_with("send part 1 of 1: "),
            "{}",
            failure.message
        );
    }
}

#[test]
fn the_answered_message_supplies_a_missing_target() {
    let host = FakeHost::answering(vec![ok(SENT)]);
    let mut reply = reply("hi");
    reply.conversation_id = "legacy-conversation".into();
    reply.in_reply_to = Some(inbound());
    respond(&host, &reply).expect("sent");
    let requests = host.requests.borrow();
    assert!(requests[0].url.ends_with("/106540352242922/messages"));
    assert_eq!(body(&requests[0])["to"], "16505551234");
}

#[test]
fn unroutable_or_empty_replies_fail_permanently_without_a_request() {
    let host = FakeHost::default();
    let mut unroutable = reply("hi");
    unroutable.conversation_id = "nowhere".into();
    let failure = respond(&host, &unroutable).expect_err("no target");
    assert!(!failure.retryable);
    assert_eq!(
        failure.message,
        "conversation id `nowhere`: there is no `:` between the phone number id and the user \
         (expected `<phone_number_id>:<user>`), and no answered message says where to reply"
    );

    let failure = respond(&host, &reply("")).expect_err("empty");
    assert!(!failure.retryable);
    assert!(host.requests.borrow().is_empty());
}

#[test]
fn persisted_messages_are_marked_read() {
    let host = FakeHost::answering(vec![ok(r#"{"success":true}"#)]);
    mark_read(&host, &inbound()).expect("marked");
    let requests = host.requests.borrow();
    assert_eq!(
        requests[0].url,
        "https://graph.facebook.com/v23.0/106540352242922/messages"
    );
    assert_eq!(
        header(&requests[0].headers, "authorization"),
        Some("Bearer {{secret:access_token}}")
    );
    assert_eq!(
        body(&requests[0]),
        json!({ "messaging_product": "whatsapp", "status": "read", "message_id": "wamid.IN" })
    );
}

#[test]
fn a_failed_read_receipt_is_an_error() {
    let host = FakeHost::answering(vec![answer(
        400,
        r#"{"error":{"message":"(#131009) Parameter value is not valid","code":131009}}"#,
    )]);
    let error = mark_read(&host, &inbound()).expect_err("fails");
    assert!(
        error.starts_with("mark wamid.IN read: http 400: whatsapp error 131009"),
        "{error}"
    );

    let host = FakeHost::answering(vec![Err(FetchFailure::Timeout)]);
    let error = mark_read(&host, &inbound()).expect_err("fails");
    assert_eq!(error, "mark wamid.IN read: request timed out");
}

#[test]
fn read_receipts_find_the_number_in_the_conversation_id_when_metadata_lacks_it() {
    let host = FakeHost::answering(vec![ok(r#"{"success":true}"#)]);
    let mut message = inbound();
    message.metadata = "{}".into();
    mark_read(&host, &message).expect("marked");
    assert!(host.requests.borrow()[0].url.contains("/106540352242922/"));

    let host = FakeHost::default();
    message.conversation_id = "abc:16505551234".into();
    assert_eq!(
        mark_read(&host, &message),
        Err(
            "mark wamid.IN read: no phone_number_id in the message's metadata, and \
             conversation id `abc:16505551234`: the phone number id `abc` must be digits"
                .into()
        )
    );
    assert!(host.requests.borrow().is_empty());
}

#[test]
fn only_messages_people_sent_are_marked_read() {
    let mut system = inbound();
    system.kind = Kind::System;
    let mut reaction = inbound();
    reaction.kind = Kind::Reaction;
    let mut own = inbound();
    own.sender_kind = SenderKind::ThisBot;
    for message in [system, reaction, own] {
        let host = FakeHost::default();
        assert_eq!(mark_read(&host, &message), Ok(()), "{message:?}");
        assert!(host.requests.borrow().is_empty(), "{message:?}");
    }
}

#[test]
fn reading_never_shows_typing_and_typing_is_its_own_call() {
    let host = FakeHost::answering(vec![ok(r#"{"success":true}"#), ok(r#"{"success":true}"#)]);
    mark_read(&host, &inbound()).expect("marked");
    show_typing(&host, &inbound()).expect("typing");
    let requests = host.requests.borrow();
    assert!(body(&requests[0]).get("typing_indicator").is_none());
    assert_eq!(
        requests[1].url,
        "https://graph.facebook.com/v23.0/106540352242922/messages"
    );
    assert_eq!(
        header(&requests[1].headers, "authorization"),
        Some("Bearer {{secret:access_token}}")
    );
    assert_eq!(
        body(&requests[1]),
        json!({
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": "wamid.IN",
            "typing_indicator": { "type": "text" },
        })
    );
}

#[test]
fn a_failed_typing_indicator_is_an_error() {
    let host = FakeHost::answering(vec![answer(500, "down")]);
    assert_eq!(
        show_typing(&host, &inbound()),
        Err("show typing for wamid.IN: http 500: down".into())
    );
}

#[test]
fn group_conversations_are_answered_in_the_group() {
    let group = "Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjM0MDQ2OTQyMzM4MjAZD";
    let host = FakeHost::answering(vec![ok(SENT)]);
    let mut reply = reply("Sounds good to me.");
    reply.conversation_id = format!("106540352242922:group:{group}");
    respond(&host, &reply).expect("sent");
    let sent = body(&host.requests.borrow()[0]);
    assert_eq!(sent["recipient_type"], "group");
    assert_eq!(sent["to"], group);

    // An answered group message names its group when the conversation id cannot.
    let host = FakeHost::answering(vec![ok(SENT)]);
    let mut answered = inbound();
    answered.metadata =
        json!({ "phone_number_id": "106540352242922", "group_id": group }).to_string();
    reply.conversation_id = "legacy".into();
    reply.in_reply_to = Some(answered);
    respond(&host, &reply).expect("sent");
    assert_eq!(body(&host.requests.borrow()[0])["to"], group);
}

fn png() -> OutboundAttachment {
    OutboundAttachment {
        kind: AttachmentKind::Image,
        mime_type: "image/png".into(),
        size: 3,
        file_name: None,
        caption: None,
        blob: "ab".repeat(32),
    }
}

#[test]
fn a_failed_upload_is_classified_and_sends_nothing() {
    let cases = [
        (answer(500, "down"), true),
        (
            answer(400, r#"{"error":{"message":"bad type","code":131053}}"#),
            false,
        ),
        (Err(FetchFailure::Network("reset".into())), true),
        // A 2xx answer without an id will not grow one on a retry.
        (ok(r#"{"success":true}"#), false),
    ];
    for (answer, retryable) in cases {
        let shown = format!("{answer:?}");
        let host = FakeHost::answering(vec![answer]);
        let mut files = reply("");
        files.attachments = vec![png()];
        let failure = respond(&host, &files).expect_err(&shown);
        assert_eq!(failure.retryable, retryable, "{shown}");
        assert!(
            failure
                .message
                .starts_with("send part 1 of 1: upload image/png: "),
            "{}",
            failure.message
        );
        assert_eq!(host.requests.borrow().len(), 1, "{shown}");
        assert!(host.state.borrow().is_empty(), "{shown}");
    }
}

#[test]
fn a_send_failing_after_its_upload_does_not_upload_again() {
    let host = FakeHost::answering(vec![ok(r#"{"id":"777"}"#), answer(503, "later")]);
    let mut files = reply("");
    files.attachments = vec![png()];
    let failure = respond(&host, &files).expect_err("send fails");
    assert!(failure.retryable);
    assert_eq!(failure.message, "send part 1 of 1: http 503: later");

    host.answers.borrow_mut().push_back(ok(SENT));
    let receipt = respond(&host, &files).expect("sent");
    assert_eq!(receipt.as_deref(), Some("wamid.OUT1"));
    let requests = host.requests.borrow();
    assert_eq!(requests.len(), 3, "one upload, two sends");
    assert!(requests[2].url.ends_with("/messages"));
    assert_eq!(body(&requests[2])["image"], json!({ "id": "777" }));
    assert!(host.state.borrow().is_empty(), "bookkeeping is cleared");
}

#[test]
fn a_reply_with_nothing_in_it_fails_permanently() {
    let host = FakeHost::default();
    let failure = respond(&host, &reply("")).expect_err("empty");
    assert!(!failure.retryable);
    assert_eq!(failure.message, "reply has neither text nor attachments");
    assert!(host.requests.borrow().is_empty());
}
