use serde_json::{Map, Value, json};
use switchboard_channel_sdk::{ChatType, Kind, SenderKind};

use super::metadata::METADATA_MAX_BYTES;
use super::*;

fn fixture_bytes(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../tests/fixtures/whatsapp/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|err| panic!("read {path}: {err}"))
}

fn fixture(name: &str) -> Value {
    serde_json::from_slice(&fixture_bytes(name)).expect("fixture is json")
}

/// The fixture files keyed by case name, each value a full webhook body.
fn cases(name: &str) -> Map<String, Value> {
    match fixture(name) {
        Value::Object(cases) => cases,
        other => panic!("{name} is not an object: {other}"),
    }
}

fn parse_clean(payload: &Value) -> Parsed {
    let parsed = parse_webhook(payload);
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    parsed
}

fn only_message(payload: &Value) -> Inbound {
    let mut parsed = parse_clean(payload);
    assert_eq!(parsed.messages.len(), 1, "{:?}", parsed.messages);
    parsed.messages.remove(0)
}

fn metadata(message: &Inbound) -> Value {
    let value: Value = serde_json::from_str(&message.metadata).expect("metadata is json");
    assert!(value.is_object());
    value
}

/// Wraps messages into a one-entry, one-change webhook body.
fn webhook(contacts: Value, messages: Value) -> Value {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "waba-1", "changes": [{ "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "15550001111", "phone_number_id": "1001" },
            "contacts": contacts,
            "messages": messages,
        }}]}]
    })
}

#[test]
fn meta_docs_text_message() {
    let message = only_message(&fixture("meta-docs-text-message.json"));
    assert_eq!(
        message,
        Inbound {
            external_id: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=".into(),
            conversation_id: "106540352242922:16505551234".into(),
            sender_id: "16505551234".into(),
            sender_name: Some("Sheena Nelson".into()),
            text: Some("Does it come in another color?".into()),
            timestamp: 1_749_416_383,
            sender_kind: SenderKind::User,
            reply_to: None,
            kind: Kind::Text,
            chat_type: ChatType::Direct,
            mentions_bot: false,
            thread_id: None,
            is_edit: false,
            edited_at_ms: None,
            attachments: vec![],
            reaction: None,
            button: None,
            metadata: message.metadata.clone(),
        }
    );
    let metadata = metadata(&message);
    assert_eq!(metadata["phone_number_id"], "106540352242922");
    assert_eq!(metadata["display_phone_number"], "15550783881");
    assert_eq!(metadata["waba_id"], "102290129340398");
    assert_eq!(metadata["type"], "text");
    assert_eq!(metadata["forwarded"], false);
}

#[test]
fn signed_body_parses_from_raw_bytes() {
    let payload: Value =
        serde_json::from_slice(&fixture_bytes("signed-text-message.body.json")).expect("json");
    let message = only_message(&payload);
    assert_eq!(
        message.external_id,
        "wamid.HBgMOTcyNTQ0NDAxMjQzFQIAEhggM0RFQTNCMEEwRTY3QzUwODYzMDc4NjQ4QzM4ODAxM0YA"
    );
    assert_eq!(message.conversation_id, "277321005464405:972544401243");
    assert_eq!(message.sender_name.as_deref(), Some("PyWa Tests"));
    assert_eq!(message.text.as_deref(), Some("Hey there! I am using PyWa."));
    assert_eq!(message.timestamp, 1_730_231_903);
}

#[test]
fn every_pywa_message_case_yields_one_message_of_the_right_kind() {
    // (case, kind, text); the loop below fails if the fixture gains a case that
    // is not listed here, so no kind can be dropped silently.
    let expected: &[(&str, Kind, Option<&str>)] = &[
        ("text", Kind::Text, Some("Body Text")),
        ("image", Kind::Image, None),
        ("media_with_url", Kind::Image, None),
        ("video", Kind::Video, Some("caption")),
        ("document", Kind::Document, Some("caption")),
        ("audio", Kind::Audio, None),
        ("voice", Kind::Audio, None),
        ("static_sticker", Kind::Sticker, None),
        ("animated_sticker", Kind::Sticker, None),
        ("reaction", Kind::Reaction, None),
        ("unreaction_empty", Kind::Reaction, None),
        ("unreaction_no_emoji", Kind::Reaction, None),
        ("current_location", Kind::Location, None),
        ("chosen_location", Kind::Location, None),
        ("contacts", Kind::Contact, None),
        ("order", Kind::Other, None),
        ("unsupported", Kind::Other, None),
        ("unsupported_with_type", Kind::Other, None),
        ("reply", Kind::Text, Some("replied text")),
        ("forwarded", Kind::Text, Some("forwarded text")),
        (
            "forwarded_many_times",
            Kind::Text,
            Some("text forwarded many times"),
        ),
        ("interactive_message_with_err", Kind::Interactive, None),
        ("referral", Kind::Text, Some("BODY")),
    ];
    let cases = cases("pywa-updates-message.json");
    assert_eq!(
        cases.len(),
        expected.len(),
        "fixture cases: {:?}",
        cases.keys()
    );
    for &(case, kind, text) in expected {
        let payload = cases.get(case).unwrap_or_else(|| panic!("no case {case}"));
        let message = only_message(payload);
        assert_eq!(message.kind, kind, "{case}");
        assert_eq!(message.text.as_deref(), text, "{case}");
        assert_eq!(message.sender_name.as_deref(), Some("Test Name"), "{case}");
        assert!(message.external_id.starts_with("wamid."), "{case}");
        assert!(message.conversation_id.ends_with(":972987654321"), "{case}");
        assert!(message.timestamp > 1_600_000_000, "{case}");
        let metadata = metadata(&message);
        let wa_type = metadata["type"].as_str().expect("type");
        assert!(metadata["phone_number_id"].is_string(), "{case}");
        assert_eq!(metadata["user_id"], "US.13491208655302741918", "{case}");
        // Two cases carry no object of their type: an interactive message whose
        // content failed on Meta's side, and an unsupported one with only errors.
        if !["interactive_message_with_err", "unsupported"].contains(&case) {
            assert!(
                metadata[wa_type].is_object() || metadata[wa_type].is_array(),
                "{case}"
            );
        }
    }
}

#[test]
fn type_specific_details_reach_the_metadata() {
    let cases = cases("pywa-updates-message.json");
    let meta = |case: &str| metadata(&only_message(&cases[case]));

    let image = meta("image");
    assert_eq!(image["image"]["id"], "65463453");
    assert_eq!(image["image"]["mime_type"], "image/jpeg");
    assert_eq!(image["image"]["sha256"], "4654+8g=");

    let voice = meta("voice");
    assert_eq!(voice["audio"]["voice"], true);

    let location = meta("chosen_location");
    assert_eq!(location["location"]["latitude"], 37.4611978);
    assert_eq!(location["location"]["longitude"], -122.2164385);
    assert_eq!(location["location"]["name"], "Facebook HQ");

    let reaction = meta("reaction");
    assert_eq!(reaction["reaction"]["message_id"], "wamid.yzxyzx=");

    let video = meta("video");
    assert_eq!(video["forwarded"], true);
    assert_eq!(video["frequently_forwarded"], false);
    assert_eq!(meta("forwarded_many_times")["frequently_forwarded"], true);

    let referral = meta("referral");
    assert_eq!(referral["referral"]["source_id"], "ADID");
    assert_eq!(referral["referral"]["ctwa_clid"], "CTWA_CLID");

    let contacts = meta("contacts");
    assert_eq!(
        contacts["contacts"][0]["name"]["formatted_name"],
        "Chandler Bing"
    );

    let unsupported = meta("unsupported");
    assert_eq!(unsupported["errors"][0]["code"], 131051);

    let order = meta("order");
    assert_eq!(order["type"], "order");
    assert_eq!(order["order"]["catalog_id"], "354160437058781");
}

#[test]
fn replies_point_at_the_quoted_message() {
    let cases = cases("pywa-updates-message.json");
    let reply = only_message(&cases["reply"]);
    assert_eq!(reply.reply_to.as_deref(), Some("wamid.xyzxyz=="));
    assert_eq!(metadata(&reply)["context"]["from"], "972123456789");
    // A forwarded message has a context without an id: nothing to point at.
    assert_eq!(only_message(&cases["forwarded"]).reply_to, None);
}

#[test]
fn system_messages_are_kept_without_text() {
    let cases = cases("pywa-updates-system.json");
    assert_eq!(cases.len(), 2);
    let changed = only_message(&cases["phone_number_change"]);
    assert_eq!(changed.kind, Kind::System);
    assert_eq!(changed.text, None, "a notice is not words for the agent");
    assert_eq!(
        metadata(&changed)["system"]["body"],
        "User A changed from 972987654321 to 972912345678"
    );
    assert_eq!(
        changed.sender_name, None,
        "system messages carry no contacts"
    );
    assert_eq!(changed.conversation_id, "1122334455667:972987654321");
    assert_eq!(metadata(&changed)["system"]["type"], "user_changed_number");

    let identity = only_message(&cases["identity_change"]);
    assert_eq!(identity.kind, Kind::System);
    assert_eq!(identity.sender_name.as_deref(), Some("User A"));
    assert_eq!(metadata(&identity)["identity"]["acknowledged"], true);
}

#[test]
fn statuses_emit_nothing() {
    let mut payloads = vec![
        fixture("meta-docs-status-sent.json"),
        fixture("meta-docs-status-failed.json"),
    ];
    let cases = cases("pywa-updates-message_status.json");
    assert_eq!(cases.len(), 7);
    payloads.extend(cases.into_iter().map(|(_, payload)| payload));
    for payload in &payloads {
        let parsed = parse_clean(payload);
        assert!(parsed.messages.is_empty(), "{payload}");
        assert_eq!(parsed.statuses, 1, "{payload}");
    }
}

#[test]
fn batches_yield_every_message_of_every_entry_and_change() {
    let change = |pnid: &str, ids: &[&str]| {
        let messages: Vec<Value> = ids
            .iter()
            .map(|id| {
                json!({ "from": "111", "id": id, "timestamp": "1700000000",
                              "type": "text", "text": { "body": format!("body {id}") } })
            })
            .collect();
        json!({ "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "1555", "phone_number_id": pnid },
            "contacts": [{ "profile": { "name": "One" }, "wa_id": "111" }],
            "messages": messages,
        }})
    };
    let status = json!({ "field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": { "display_phone_number": "1555", "phone_number_id": "9" },
        "statuses": [{ "id": "wamid.out", "status": "read", "timestamp": "1700000001",
                       "recipient_id": "111" }],
    }});
    let payload = json!({
        "object": "whatsapp_business_account",
        "entry": [
            { "id": "A", "changes": [change("1", &["wamid.a1", "wamid.a2"]), status] },
            { "id": "B", "changes": [change("2", &["wamid.b1", "wamid.b2", "wamid.b3"]),
                                     change("3", &["wamid.b4"])] },
        ]
    });
    let parsed = parse_clean(&payload);
    let ids: Vec<_> = parsed
        .messages
        .iter()
        .map(|m| (m.external_id.as_str(), m.conversation_id.as_str()))
        .collect();
    assert_eq!(
        ids,
        [
            ("wamid.a1", "1:111"),
            ("wamid.a2", "1:111"),
            ("wamid.b1", "2:111"),
            ("wamid.b2", "2:111"),
            ("wamid.b3", "2:111"),
            ("wamid.b4", "3:111"),
        ]
    );
    assert_eq!(parsed.statuses, 1);
    assert_eq!(parsed.messages[3].text.as_deref(), Some("body wamid.b2"));
    assert_eq!(metadata(&parsed.messages[5])["waba_id"], "B");
}

#[test]
fn non_ascii_text_survives_raw_and_escaped() {
    let text = "J'ai mangé des pâtes 😀 שלום 漢字";
    let payload = webhook(
        json!([{ "profile": { "name": "Zoë" }, "wa_id": "2" }]),
        json!([{ "from": "2", "id": "wamid.u", "timestamp": "1", "type": "text",
                 "text": { "body": text } }]),
    );
    let message = only_message(&payload);
    assert_eq!(message.text.as_deref(), Some(text));
    assert_eq!(message.sender_name.as_deref(), Some("Zoë"));

    // Meta escapes non-ASCII as \uXXXX (surrogate pairs for emoji) on the wire.
    let escaped = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"5"},"messages":[{"from":"2","id":"wamid.e","timestamp":"1","type":"text","text":{"body":"p\u00e2tes \ud83d\ude00"}}]}}]}]}"#;
    let payload: Value = serde_json::from_slice(escaped).expect("json");
    assert_eq!(only_message(&payload).text.as_deref(), Some("pâtes 😀"));
}

#[test]
fn interactive_answers_and_button_taps_are_told_apart() {
    let payload = webhook(
        json!([{ "profile": { "name": "N" }, "wa_id": "2" }]),
        json!([
            { "from": "2", "id": "wamid.1", "timestamp": "1", "type": "interactive",
              "interactive": { "type": "button_reply",
                               "button_reply": { "id": "yes", "title": "Yes please" } } },
            { "from": "2", "id": "wamid.2", "timestamp": "1", "type": "interactive",
              "interactive": { "type": "list_reply",
                               "list_reply": { "id": "r1", "title": "Row one", "description": "d" } } },
            { "from": "2", "id": "wamid.3", "timestamp": "1", "type": "interactive",
              "interactive": { "type": "nfm_reply",
                               "nfm_reply": { "name": "flow", "body": "Sent", "response_json": "{}" } } },
            { "from": "2", "id": "wamid.4", "timestamp": "1", "type": "button",
              "context": { "from": "1555", "id": "wamid.template" },
              "button": { "payload": "STOP", "text": "Stop promotions" } },
        ]),
    );
    let parsed = parse_clean(&payload);
    let got: Vec<_> = parsed
        .messages
        .iter()
        .map(|m| {
            (
                m.kind,
                m.text.as_deref(),
                m.button.as_ref().map(|b| b.payload.as_str()),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (Kind::Button, Some("Yes please"), Some("yes")),
            (Kind::Button, Some("Row one"), Some("r1")),
            (Kind::Interactive, Some("Sent"), None),
            (Kind::Button, Some("Stop promotions"), Some("STOP")),
        ]
    );
    assert_eq!(
        parsed.messages[3].reply_to.as_deref(),
        Some("wamid.template")
    );
    assert_eq!(
        metadata(&parsed.messages[1])["interactive"]["list_reply"]["description"],
        "d"
    );
}

#[test]
fn username_users_are_keyed_by_business_scoped_id() {
    let payload = webhook(
        json!([
            { "profile": { "name": "Other" }, "wa_id": "3", "user_id": "US.3" },
            { "profile": { "username": "@zed" }, "user_id": "US.42", "parent_user_id": "US.ENT.1" },
        ]),
        json!([{ "from_user_id": "US.42", "id": "wamid.b", "timestamp": "1", "type": "text",
                 "text": { "body": "hi" } }]),
    );
    let message = only_message(&payload);
    assert_eq!(message.sender_id, "US.42");
    assert_eq!(message.conversation_id, "1001:US.42");
    assert_eq!(message.sender_name.as_deref(), Some("@zed"));
    let metadata = metadata(&message);
    assert_eq!(metadata["from_user_id"], "US.42");
    assert_eq!(metadata["parent_user_id"], "US.ENT.1");
}

#[test]
fn sender_name_needs_a_matching_or_single_contact() {
    let payload = webhook(
        json!([
            { "profile": { "name": "A" }, "wa_id": "7" },
            { "profile": { "name": "B" }, "wa_id": "8" },
        ]),
        json!([{ "from": "9", "id": "wamid.n", "timestamp": "x", "type": "text",
                 "text": { "body": "hi" } }]),
    );
    let message = only_message(&payload);
    assert_eq!(message.sender_name, None);
    assert_eq!(
        message.timestamp, 0,
        "an unparsable timestamp is unknown, not fatal"
    );
}

#[test]
fn a_bad_message_costs_only_itself() {
    let payload = webhook(
        json!([]),
        json!([
            { "from": "2", "timestamp": "1", "type": "text", "text": { "body": "no id" } },
            { "id": "wamid.nosender", "timestamp": "1", "type": "text" },
            { "from": "2", "id": "wamid.ok", "timestamp": "1", "type": "text" },
            { "from": "2", "id": "wamid.untyped", "timestamp": 5 },
        ]),
    );
    let parsed = parse_webhook(&payload);
    let ids: Vec<_> = parsed
        .messages
        .iter()
        .map(|m| m.external_id.as_str())
        .collect();
    assert_eq!(ids, ["wamid.ok", "wamid.untyped"]);
    assert_eq!(parsed.messages[1].kind, Kind::Other);
    assert_eq!(parsed.messages[1].timestamp, 5);
    let at = |message| Position {
        entry: 0,
        change: 0,
        message: Some(message),
    };
    assert_eq!(
        parsed.problems,
        [
            Problem::NoMessageId { at: at(0) },
            Problem::NoSender {
                at: at(1),
                id: "wamid.nosender".into()
            },
        ]
    );
    assert_eq!(
        parsed.problems[1].to_string(),
        "whatsapp message wamid.nosender has no sender: neither from nor from_user_id nor \
         contacts[].user_id"
    );
    assert!(parsed.problems.iter().all(Problem::lost_a_message));
}

#[test]
fn malformed_envelopes_are_reported_not_fatal() {
    let parsed = parse_webhook(&json!({ "object": "page", "entry": [] }));
    assert_eq!(
        parsed.problems,
        [Problem::UnexpectedObject {
            object: "page".into()
        }]
    );
    assert_eq!(parse_webhook(&json!([1, 2])).problems, [Problem::NoEntries]);
    assert_eq!(
        parse_webhook(&json!({ "entry": [{ "id": "1" }] })).problems,
        [Problem::NoChanges { entry: 0 }]
    );

    let no_metadata = json!({ "entry": [{ "changes": [{ "field": "messages", "value": {
        "messages": [{ "from": "2", "id": "wamid.x", "type": "text" }] } }] }] });
    let parsed = parse_webhook(&no_metadata);
    assert!(parsed.messages.is_empty());
    assert!(matches!(
        parsed.problems[..],
        [Problem::NoPhoneNumberId { messages: 1, .. }]
    ));
}

#[test]
fn other_fields_are_skipped() {
    let payload = json!({ "object": "whatsapp_business_account", "entry": [{ "id": "1",
        "changes": [{ "field": "message_template_status_update",
                      "value": { "event": "APPROVED", "message_template_id": 1 } }] }] });
    let parsed = parse_clean(&payload);
    assert!(parsed.messages.is_empty());
    assert_eq!(parsed.other_fields, ["message_template_status_update"]);
}

#[test]
fn oversized_metadata_is_trimmed_to_what_replies_need() {
    let card = json!({ "name": { "formatted_name": "x".repeat(1000) },
                       "phones": [{ "phone": "+1", "wa_id": "1" }] });
    let payload = webhook(
        json!([{ "profile": { "name": "N" }, "wa_id": "2" }]),
        json!([{ "from": "2", "id": "wamid.big", "timestamp": "1", "type": "contacts",
                 "contacts": vec![card; 100] }]),
    );
    let message = only_message(&payload);
    assert!(message.metadata.len() <= METADATA_MAX_BYTES);
    let metadata = metadata(&message);
    assert_eq!(metadata["truncated"], true);
    assert_eq!(metadata["phone_number_id"], "1001");
    assert_eq!(metadata["type"], "contacts");
    assert!(metadata.get("contacts").is_none());
    assert_eq!(message.kind, Kind::Contact);
}
