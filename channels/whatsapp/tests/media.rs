//! Media in and out: how the channel plans the download of each kind of file a
//! webhook carries, and the uploads and messages a reply with files becomes.

mod common;

use common::{fixture_bytes, only_message};
use serde_json::{Value, json};
use switchboard_channel_sdk::fake::{FakeHost, answer, ok};
use switchboard_channel_sdk::{Body, FormPart, PartContent, Request, header};
use switchboard_channel_whatsapp::native::{
    self, AttachmentKind, Inbound, OutboundAttachment, Reply,
};

const PYWA: &str = "pywa-updates-message.json";
const GRAPH: &str = "https://graph.facebook.com/v23.0";
const MESSAGES: &str = "https://graph.facebook.com/v23.0/106540352242922/messages";
const UPLOADS: &str = "https://graph.facebook.com/v23.0/106540352242922/media";
const CONVERSATION: &str = "106540352242922:16505551234";
const BEARER: &str = "Bearer {{secret:access_token}}";

fn fixture(name: &str) -> String {
    String::from_utf8(fixture_bytes(name)).expect("fixture is UTF-8")
}

fn sent(id: &str) -> String {
    format!(
        r#"{{"messaging_product":"whatsapp","contacts":[{{"input":"16505551234","wa_id":"16505551234"}}],"messages":[{{"id":"{id}"}}]}}"#
    )
}

fn uploaded(id: &str) -> String {
    format!(r#"{{"id":"{id}"}}"#)
}

fn attachment(kind: AttachmentKind, mime_type: &str, blob: char) -> OutboundAttachment {
    OutboundAttachment {
        kind,
        mime_type: mime_type.into(),
        size: 2048,
        file_name: None,
        caption: None,
        blob: blob.to_string().repeat(64),
    }
}

/// An answer to `message`, or an agent-initiated message when `None`.
fn reply(message: Option<Inbound>, text: &str, attachments: Vec<OutboundAttachment>) -> Reply {
    Reply {
        conversation_id: CONVERSATION.into(),
        text: text.into(),
        attachments,
        in_reply_to: message,
        idempotency_key: "reply-7".into(),
        ..Reply::default()
    }
}

fn answered() -> Inbound {
    Inbound {
        external_id: "wamid.IN".into(),
        conversation_id: CONVERSATION.into(),
        sender_id: "16505551234".into(),
        metadata: json!({ "phone_number_id": "106540352242922" }).to_string(),
        ..Inbound::default()
    }
}

/// Checks that `request` uploads `blob`, the `type` field naming the format of
/// `mime_type` without its parameters.
fn assert_upload(request: &Request, mime_type: &str, file_name: &str, blob: &str) {
    let format = mime_type.split(';').next().unwrap_or_default();
    assert_eq!(request.method, "POST");
    assert_eq!(request.url, UPLOADS);
    assert_eq!(header(&request.headers, "authorization"), Some(BEARER));
    let Body::Multipart(parts) = &request.body else {
        panic!("uploads are multipart, got {:?}", request.body)
    };
    assert_eq!(
        parts,
        &vec![
            FormPart::text("messaging_product", "whatsapp"),
            FormPart::text("type", format),
            FormPart {
                name: "file".into(),
                file_name: Some(file_name.into()),
                content_type: Some(mime_type.into()),
                content: PartContent::Blob(blob.into()),
            },
        ]
    );
}

/// The JSON body of a `POST .../messages`.
fn message_body(request: &Request) -> Value {
    assert_eq!(request.method, "POST");
    assert_eq!(request.url, MESSAGES);
    assert_eq!(header(&request.headers, "authorization"), Some(BEARER));
    assert_eq!(
        header(&request.headers, "content-type"),
        Some("application/json")
    );
    serde_json::from_slice(request.body.bytes().expect("JSON body")).expect("JSON")
}

#[test]
fn every_kind_of_inbound_file_is_downloaded_through_its_media_id() {
    let looked_up = fixture("meta-docs-media-url.json");
    let download_url: Value = serde_json::from_str(&looked_up).expect("JSON");
    let cases = [
        ("image", AttachmentKind::Image, "65463453"),
        ("video", AttachmentKind::Video, "765756756"),
        ("document", AttachmentKind::Document, "1234567890987654321"),
        ("audio", AttachmentKind::Audio, "1234567890987654321"),
        ("voice", AttachmentKind::Voice, "1234567890987654321"),
        (
            "static_sticker",
            AttachmentKind::Sticker,
            "1234567890987654321",
        ),
        (
            "animated_sticker",
            AttachmentKind::Sticker,
            "1234567890987654321",
        ),
    ];
    for (case, kind, media_id) in cases {
        let message = only_message(PYWA, case);
        let [file] = &message.attachments[..] else {
            panic!(
                "{case}: one attachment expected, got {:?}",
                message.attachments
            )
        };
        assert_eq!(file.kind, kind, "{case}");
        assert_eq!(file.reference, media_id, "{case}");

        let host = FakeHost::answering(vec![ok(&looked_up)]);
        let download = native::download_request(&host, file).expect(case);
        let requests = host.requests.borrow();
        let [lookup] = &requests[..] else {
            panic!("{case}: one lookup expected, got {requests:?}")
        };
        assert_eq!(lookup.method, "GET", "{case}");
        assert_eq!(lookup.url, format!("{GRAPH}/{media_id}"), "{case}");
        assert_eq!(header(&lookup.headers, "authorization"), Some(BEARER));

        assert_eq!(download.method, "GET", "{case}");
        assert_eq!(download.url, download_url["url"], "{case}");
        assert!(
            download
                .url
                .starts_with("https://lookaside.fbsbx.com/whatsapp_business/attachments/")
        );
        assert_eq!(header(&download.headers, "authorization"), Some(BEARER));
        assert_eq!(download.body, Body::Bytes(vec![]), "{case}");
    }
}

#[test]
fn an_expired_media_id_fails_for_good_and_an_outage_is_retried() {
    let file = only_message(PYWA, "image").attachments.remove(0);
    let unknown = fixture("meta-docs-media-unknown.json");
    for (status, body) in [(404, ""), (400, unknown.as_str())] {
        let host = FakeHost::answering(vec![answer(status, body)]);
        let failure = native::download_request(&host, &file).expect_err("unknown");
        assert!(!failure.retryable, "{status}");
    }
    for status in [429, 500, 503] {
        let host = FakeHost::answering(vec![answer(status, "")]);
        let failure = native::download_request(&host, &file).expect_err("outage");
        assert!(failure.retryable, "{status}");
    }
}

#[test]
fn an_image_reply_is_uploaded_then_sent_quoting_the_message() {
    let image = attachment(AttachmentKind::Image, "image/png", 'a');
    let host = FakeHost::answering(vec![
        ok(&fixture("meta-docs-media-upload.json")),
        ok(&sent("wamid.IMG")),
    ]);
    let receipt =
        native::on_respond(&host, &reply(Some(answered()), "", vec![image])).expect("sent");
    assert_eq!(receipt.as_deref(), Some("wamid.IMG"));

    let requests = host.requests.borrow();
    assert_eq!(requests.len(), 2);
    assert_upload(&requests[0], "image/png", "attachment.png", &"a".repeat(64));
    assert_eq!(
        message_body(&requests[1]),
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "16505551234",
            "type": "image",
            "image": { "id": "4490709327384033" },
            "context": { "message_id": "wamid.IN" },
        })
    );
    assert!(host.state.borrow().is_empty(), "bookkeeping is cleared");
}

#[test]
fn a_document_keeps_its_file_name_and_caption() {
    let mut pdf = attachment(AttachmentKind::Document, "application/pdf", 'b');
    pdf.file_name = Some("Q3 report.pdf".into());
    pdf.caption = Some("The numbers".into());
    let host = FakeHost::answering(vec![ok(&uploaded("555")), ok(&sent("wamid.DOC"))]);
    native::on_respond(&host, &reply(Some(answered()), "", vec![pdf])).expect("sent");

    let requests = host.requests.borrow();
    assert_upload(
        &requests[0],
        "application/pdf",
        "Q3 report.pdf",
        &"b".repeat(64),
    );
    assert_eq!(
        message_body(&requests[1])["document"],
        json!({ "id": "555", "caption": "The numbers", "filename": "Q3 report.pdf" })
    );
}

#[test]
fn reply_text_becomes_the_caption_when_it_fits() {
    let video = attachment(AttachmentKind::Video, "video/mp4", 'c');
    let host = FakeHost::answering(vec![ok(&uploaded("556")), ok(&sent("wamid.VID"))]);
    native::on_respond(
        &host,
        &reply(Some(answered()), "How to fold it.", vec![video]),
    )
    .expect("sent");
    let requests = host.requests.borrow();
    assert_eq!(requests.len(), 2, "no separate text message");
    let body = message_body(&requests[1]);
    assert_eq!(body["type"], "video");
    assert_eq!(
        body["video"],
        json!({ "id": "556", "caption": "How to fold it." })
    );
    assert_eq!(body["context"]["message_id"], "wamid.IN");
}

#[test]
fn reply_text_goes_first_when_the_file_cannot_carry_it() {
    // A voice note (sent as audio, which has no caption).
    let voice = attachment(AttachmentKind::Voice, "audio/ogg; codecs=opus", 'd');
    let host = FakeHost::answering(vec![
        ok(&sent("wamid.TXT")),
        ok(&uploaded("557")),
        ok(&sent("wamid.AUD")),
    ]);
    let receipt = native::on_respond(
        &host,
        &reply(Some(answered()), "Listen to this.", vec![voice]),
    )
    .expect("sent");
    assert_eq!(receipt.as_deref(), Some("wamid.TXT"));

    let requests = host.requests.borrow();
    assert_eq!(requests.len(), 3);
    let text = message_body(&requests[0]);
    assert_eq!(
        text["text"],
        json!({ "preview_url": false, "body": "Listen to this." })
    );
    assert_eq!(text["context"]["message_id"], "wamid.IN");
    assert_upload(
        &requests[1],
        "audio/ogg; codecs=opus",
        "attachment.ogg",
        &"d".repeat(64),
    );
    let audio = message_body(&requests[2]);
    assert_eq!(audio["type"], "audio");
    assert_eq!(audio["audio"], json!({ "id": "557" }));
    assert!(
        audio.get("context").is_none(),
        "only the first message quotes"
    );
}

#[test]
fn an_agent_initiated_message_goes_to_the_conversation_quoting_nothing() {
    let image = attachment(AttachmentKind::Sticker, "image/webp", 'e');
    let host = FakeHost::answering(vec![ok(&uploaded("558")), ok(&sent("wamid.NEW"))]);
    let receipt =
        native::on_respond(&host, &reply(None, "Your order shipped.", vec![image])).expect("sent");
    assert_eq!(receipt.as_deref(), Some("wamid.NEW"));

    let requests = host.requests.borrow();
    assert_upload(
        &requests[0],
        "image/webp",
        "attachment.webp",
        &"e".repeat(64),
    );
    assert_eq!(
        message_body(&requests[1]),
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "16505551234",
            "type": "image",
            "image": { "id": "558", "caption": "Your order shipped." },
        })
    );
}

#[test]
fn a_retry_after_a_failure_half_way_sends_only_the_rest() {
    let mut chart = attachment(AttachmentKind::Image, "image/png", '1');
    chart.caption = Some("Chart".into());
    let mut table = attachment(AttachmentKind::Document, "text/csv", '2');
    table.file_name = Some("table.csv".into());
    let files = reply(Some(answered()), "Here are both.", vec![chart, table]);

    // The text, the chart and the table's upload go out; sending the table fails.
    let host = FakeHost::answering(vec![
        ok(&sent("wamid.T")),
        ok(&uploaded("601")),
        ok(&sent("wamid.C")),
        ok(&uploaded("602")),
        answer(503, "try later"),
    ]);
    let failure = native::on_respond(&host, &files).expect_err("the table's send fails");
    assert!(failure.retryable);
    assert_eq!(failure.message, "send part 3 of 3: http 503: try later");
    assert_eq!(host.requests.borrow().len(), 5);

    // The host retries the whole reply with the same idempotency key.
    host.answers.borrow_mut().push_back(ok(&sent("wamid.D")));
    let receipt = native::on_respond(&host, &files).expect("sent");
    assert_eq!(
        receipt.as_deref(),
        Some("wamid.T"),
        "the first message's id"
    );

    let requests = host.requests.borrow();
    assert_eq!(requests.len(), 6, "only the table's message is sent again");
    assert_eq!(
        message_body(&requests[5])["document"],
        json!({ "id": "602", "filename": "table.csv" })
    );
    assert!(host.state.borrow().is_empty(), "bookkeeping is cleared");
}

#[test]
fn a_group_gets_files_in_the_group() {
    let message = only_message("meta-docs-group-messages.json", "mention_of_business");
    let group = "Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjM0MDQ2OTQyMzM4MjAZD";
    let host = FakeHost::answering(vec![ok(&uploaded("559")), ok(&sent("wamid.G"))]);
    let files = Reply {
        conversation_id: message.conversation_id.clone(),
        attachments: vec![attachment(AttachmentKind::Image, "image/jpeg", 'f')],
        idempotency_key: "group-1".into(),
        ..Reply::default()
    };
    native::on_respond(&host, &files).expect("sent");
    let body = message_body(&host.requests.borrow()[1]);
    assert_eq!(body["recipient_type"], "group");
    assert_eq!(body["to"], group);
}
