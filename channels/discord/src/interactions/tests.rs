//! The Interactions Endpoint URL against the fake host, with the recorded
//! interactions (see the fixtures' README). The host has checked the signature
//! before any of this runs.

use serde_json::{Value, json};
use switchboard_channel_sdk::fake::FakeHost;
use switchboard_channel_sdk::{ChatType, Inbound, Kind, Level, SenderKind};

use super::*;
use crate::gateway::state::store_bot_id;
use crate::tests::{BOT_ID, fixture_text, metadata};

fn post(host: &FakeHost, body: &str) -> Response {
    handle(host, "POST", body.as_bytes())
}

fn json_body(response: &Response) -> Value {
    assert_eq!(
        switchboard_channel_sdk::header(&response.headers, "content-type"),
        Some("application/json")
    );
    serde_json::from_slice(&response.body).expect("json body")
}

fn single(host: &FakeHost) -> Inbound {
    let emitted = host.emitted.borrow();
    assert_eq!(emitted.len(), 1, "{:?}", host.logs.borrow());
    emitted[0].clone()
}

#[test]
fn a_ping_is_answered_with_a_pong() {
    let host = FakeHost::default();
    let response = post(&host, &fixture_text("interactions/ping.json"));
    assert_eq!(response.status, 200);
    assert_eq!(json_body(&response), json!({"type": 1}));
    assert!(host.emitted.borrow().is_empty());
    assert!(host.requests.borrow().is_empty());
}

#[test]
fn a_slash_command_is_emitted_and_deferred() {
    let host = FakeHost::default();
    let response = post(&host, &fixture_text("interactions/slash-command.json"));
    assert_eq!(response.status, 200);
    assert_eq!(json_body(&response), json!({"type": 5}));
    let message = single(&host);
    assert_eq!(message.external_id, "interaction:786008729715212338");
    assert_eq!(message.conversation_id, "645027906669510667");
    assert_eq!(message.sender_id, "53908232506183680");
    assert_eq!(message.sender_name.as_deref(), Some("Mason"));
    assert_eq!(message.sender_kind, SenderKind::User);
    assert_eq!(
        message.text.as_deref(),
        Some("/cardsearch cardname=The Gitrog Monster")
    );
    assert_eq!(message.kind, Kind::Text);
    assert_eq!(message.chat_type, ChatType::Group);
    assert!(message.mentions_bot);
    assert!(!message.is_edit);
    // From the interaction's snowflake: 2020-12-08T23:18:04.500Z.
    assert_eq!(message.timestamp, 1_607_469_484);
    assert_eq!(
        metadata(&message),
        json!({
            "source": "interaction",
            "interaction_id": "786008729715212338",
            "interaction_token": "A_UNIQUE_TOKEN",
            "channel_id": "645027906669510667",
            "guild_id": "290926798626357999",
            "command": "cardsearch",
        })
    );
}

#[test]
fn a_subcommand_in_a_direct_message_names_every_option() {
    let host = FakeHost::default();
    let response = post(
        &host,
        &fixture_text("interactions/slash-command-dm-subcommand.json"),
    );
    assert_eq!(json_body(&response), json!({"type": 5}));
    let message = single(&host);
    assert_eq!(
        message.text.as_deref(),
        Some("/remind add what=water the plants in_minutes=30 loud=true")
    );
    assert_eq!(message.chat_type, ChatType::Direct);
    assert_eq!(message.sender_id, "167348773423415296");
    assert_eq!(message.sender_name.as_deref(), Some("Ian"));
    assert_eq!(message.conversation_id, "1100000000000000777");
    let meta = metadata(&message);
    assert_eq!(meta["application_id"], BOT_ID);
    assert_eq!(
        meta["interaction_token"],
        "aW50ZXJhY3Rpb246MTIzNTI0MTIzNDU2Nzg5MDEyMzpzbGFzaA"
    );
    assert!(meta.get("guild_id").is_none());
}

#[test]
fn a_context_menu_command_names_its_target() {
    let host = FakeHost::default();
    post(&host, &fixture_text("interactions/user-command.json"));
    let message = single(&host);
    assert_eq!(
        message.text.as_deref(),
        Some("/context-menu-user-2 target=809850198683418695")
    );
    assert_eq!(metadata(&message)["target_id"], "809850198683418695");
    assert_eq!(metadata(&message)["application_id"], "775799577604522054");
}

#[test]
fn other_interaction_types_are_refused_with_the_reason() {
    let host = FakeHost::default();
    let response = post(&host, &fixture_text("interactions/button.json"));
    assert_eq!(response.status, 400);
    assert_eq!(
        String::from_utf8_lossy(&response.body),
        "interaction type 3 (message component) is not handled by this channel"
    );
    assert!(host.emitted.borrow().is_empty());
    assert!(host.dead_letters.borrow().is_empty());
    for (kind, name) in [(4, "autocomplete"), (5, "modal submit"), (9, "unknown")] {
        let response = post(&host, &json!({"id": "1", "type": kind}).to_string());
        assert_eq!(response.status, 400);
        assert!(
            String::from_utf8_lossy(&response.body).contains(name),
            "{kind}"
        );
    }
}

#[test]
fn bodies_that_are_not_interactions_are_refused() {
    let host = FakeHost::default();
    let response = post(&host, "<xml/>");
    assert_eq!(response.status, 400);
    assert!(host.logged(Level::Warn, "body is not json"));
    let response = post(&host, r#"{"id": "1"}"#);
    assert_eq!(response.status, 400);
    assert_eq!(handle(&host, "GET", b"").status, 405);
    assert!(host.emitted.borrow().is_empty());
}

#[test]
fn a_command_without_a_user_is_kept_as_a_dead_letter() {
    let host = FakeHost::default();
    let mut payload: Value =
        serde_json::from_str(&fixture_text("interactions/slash-command.json")).expect("json");
    payload.as_object_mut().expect("object").remove("member");
    let response = post(&host, &payload.to_string());
    assert_eq!(response.status, 400);
    assert_eq!(
        *host.dead_letters.borrow(),
        ["application command 786008729715212338 without a user".to_owned()]
    );
    assert!(host.emitted.borrow().is_empty());
}

#[test]
fn a_command_the_host_rejects_is_logged_and_still_deferred() {
    let mut host = FakeHost::default();
    host.reject.insert(
        "interaction:786008729715212338".to_owned(),
        "too many messages".to_owned(),
    );
    let response = post(&host, &fixture_text("interactions/slash-command.json"));
    assert_eq!(json_body(&response), json!({"type": 5}));
    assert!(host.logged(Level::Error, "too many messages"));
}

#[test]
fn a_replayed_gateway_dispatch_is_mapped_as_the_session_maps_it() {
    let host = FakeHost::default();
    store_bot_id(&host, BOT_ID);
    let response = post(
        &host,
        &fixture_text("gateway/message-create-guild-mention.json"),
    );
    assert_eq!(response.status, 200);
    let message = single(&host);
    assert_eq!(
        message.external_id,
        "645027906669510667:1235203015113162833"
    );
    assert!(
        message.mentions_bot,
        "the bot's id comes from instance state"
    );

    let host = FakeHost::default();
    store_bot_id(&host, BOT_ID);
    post(&host, &fixture_text("gateway/message-create-own.json"));
    assert!(host.emitted.borrow().is_empty());
}

#[test]
fn a_replayed_dispatch_that_still_cannot_be_mapped_is_kept_again() {
    let host = FakeHost::default();
    let response = post(
        &host,
        r#"{"op": 0, "s": 12, "t": "MESSAGE_CREATE", "d": {"id": "1", "channel_id": "2"}}"#,
    );
    assert_eq!(response.status, 200);
    assert_eq!(
        *host.dead_letters.borrow(),
        ["MESSAGE_CREATE 2:1 without an author".to_owned()]
    );
}

#[test]
fn other_replayed_gateway_payloads_need_nothing() {
    let host = FakeHost::default();
    for body in [
        fixture_text("gateway/ready.json"),
        fixture_text("gateway/hello.json"),
    ] {
        assert_eq!(post(&host, &body).status, 200);
    }
    assert!(host.emitted.borrow().is_empty());
    assert!(host.dead_letters.borrow().is_empty());
    assert!(host.state.borrow().is_empty(), "a replay starts no session");
}
