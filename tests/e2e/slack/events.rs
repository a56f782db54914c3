//! Slack deliveries through the real daemon: what is stored (once), what is not
//! (bots, this app), edits, interactivity and every fixture.

use serde_json::{Value, json};

use super::{
    BOT_TOKEN, BOT_USER, DEFAULT, FORM, JSON, Options, POSTED_TS, SIGNING_SECRET, envelope, form,
    mention, message, now, setup, setup_with, sign,
};
use crate::harness::{fixture, fixture_json};

#[tokio::test]
async fn message_and_its_app_mention_twin_are_stored_and_answered_once_even_when_retried() {
    let s = setup().await;
    let text = "<@UBOTSELF1> what is the status?";
    let ts = "1700000002.000200";
    let as_message = envelope("Ev0MSG", message("C0CHAN", ts, text));
    let as_mention = envelope("Ev0MENTION", mention("C0CHAN", ts, text));
    s.deliver(&as_message).await;
    s.deliver(&as_mention).await;
    // Slack's retries carry the same body and say so in headers.
    for body in [&as_message, &as_mention] {
        let bytes = serde_json::to_vec(body).expect("json");
        let retry = [
            ("x-slack-retry-num", "1".to_owned()),
            ("x-slack-retry-reason", "http_timeout".to_owned()),
        ];
        assert_eq!(s.post_signed(&bytes, JSON, &retry).await.0, 200);
    }

    let messages = s.daemon.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let m = &messages[0];
    assert_eq!(m["external_id"], format!("C0CHAN:{ts}"));
    assert_eq!(m["conversation_id"], "C0CHAN");
    assert_eq!(m["sender_id"], "U0PERSON");
    assert_eq!(m["text"], text);
    assert_eq!(m["timestamp"], 1700000002);

    s.expect_outbound(1, 1).await;
    let reaction = s.reactions()[0].json();
    assert_eq!(
        reaction,
        json!({"channel": "C0CHAN", "name": "eyes", "timestamp": ts})
    );
    let post = &s.posts()[0];
    assert_eq!(
        post.header("authorization"),
        Some(format!("Bearer {BOT_TOKEN}").as_str())
    );
    assert!(
        post.header("content-type")
            .is_some_and(|c| c.starts_with("application/json")),
        "{post:?}"
    );
    let body = post.json();
    assert_eq!(body["channel"], "C0CHAN");
    assert_eq!(body["text"], text);
    assert!(
        body.get("thread_ts").is_none(),
        "a top-level message is answered in the channel: {body}"
    );
    let replies = s.daemon.replies();
    assert_eq!(replies[0]["status"], "sent");
    assert_eq!(
        replies[0]["receipt_external_id"],
        format!("C0REPLIED:{POSTED_TS}")
    );
    let log = s.daemon.log();
    assert!(!log.contains(BOT_TOKEN) && !log.contains(SIGNING_SECRET));
}

#[tokio::test]
async fn bot_messages_and_this_apps_own_are_never_stored_or_answered() {
    let s = setup().await;
    // A person says something; the echo agent answers once.
    s.deliver(&envelope(
        "Ev0HUMAN",
        message("C0CHAN", "1700000005.000500", "ping"),
    ))
    .await;
    s.expect_outbound(1, 1).await;

    // Slack then delivers the app's own answer as a message event: as a bot
    // message, and as a plain message of the app's bot user.
    let mut own = message("C0CHAN", POSTED_TS, "ping");
    own["user"] = json!(BOT_USER);
    own["bot_id"] = json!("B0SELF");
    own["app_id"] = json!("A0APP");
    own.as_object_mut().expect("event").remove("client_msg_id");
    s.deliver(&envelope("Ev0ECHO1", own.clone())).await;
    let mut own_plain = own.clone();
    own_plain.as_object_mut().expect("event").remove("bot_id");
    own_plain["ts"] = json!("1700000999.000200");
    s.deliver(&envelope("Ev0ECHO2", own_plain)).await;
    // Another integration's bot, in both shapes Slack uses.
    let mut other_bot = message("C0CHAN", "1700000006.000600", "build passed");
    other_bot["bot_id"] = json!("B0OTHER");
    other_bot.as_object_mut().expect("event").remove("user");
    other_bot["subtype"] = json!("bot_message");
    s.deliver(&envelope("Ev0BOT1", other_bot)).await;
    let mut bot_user = message("C0CHAN", "1700000007.000700", "deploy done");
    bot_user["bot_id"] = json!("B0OTHER");
    s.deliver(&envelope("Ev0BOT2", bot_user)).await;
    s.deliver(&fixture_json(
        "slack/slack-morphism-message_changed_by_bot.json",
    ))
    .await;

    // The other bot's messages are stored for history, marked, and never answered;
    // the app's own echoes are not stored at all (they would repeat every answer).
    let messages = s.daemon.messages();
    assert_eq!(messages.len(), 3, "{messages:?}");
    let person: Vec<_> = messages.iter().filter(|m| m["no_turn"].is_null()).collect();
    assert_eq!(person.len(), 1, "only the person's message gets a turn");
    assert_eq!(person[0]["text"], "ping");
    for m in messages.iter().filter(|m| !m["no_turn"].is_null()) {
        assert_eq!(m["sender_kind"], "bot", "{m}");
        assert_eq!(m["no_turn"], "from-bot", "{m}");
    }
    // Still one reaction and one answer: the app did not talk to itself.
    s.expect_outbound(1, 1).await;
}

#[tokio::test]
async fn edits_update_the_stored_message_without_a_second_reply() {
    let s = setup().await;
    // The morphism fixture edits a message of "UXXXXXXXXXX", which its
    // `authorizations` say is this app's bot user: not a person's edit.
    s.deliver(&fixture_json("slack/slack-morphism-message_changed.json"))
        .await;
    assert!(s.daemon.messages().is_empty(), "{:?}", s.daemon.messages());

    // The same edit by a person, of a message stored before.
    let mut original = message("CXXXXXXXXXX", "1701735043.989889", "hey!");
    original["user"] = json!("U0PERSON");
    s.deliver(&envelope("Ev0ORIGINAL", original)).await;
    s.expect_outbound(1, 1).await;
    let mut edit = fixture_json("slack/slack-morphism-message_changed.json");
    edit["event"]["message"]["user"] = json!("U0PERSON");
    edit["event"]["previous_message"]["user"] = json!("U0PERSON");
    s.deliver(&edit).await;

    let messages = s.daemon.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let m = &messages[0];
    assert_eq!(m["external_id"], "CXXXXXXXXXX:1701735043.989889");
    assert_eq!(m["text"], "edited message");
    assert_eq!(m["is_edit"], true);
    assert!(m["edited_at_ms"].is_i64());
    s.expect_outbound(1, 1).await;
    assert_eq!(s.posts()[0].json()["text"], "hey!");
}

#[tokio::test]
async fn interactivity_form_body_is_verified_on_its_raw_bytes_and_parsed() {
    let s = setup().await;
    let payload = json!({
        "type": "block_actions",
        "user": {"id": "U0PERSON", "username": "ada", "name": "ada", "team_id": "T0TEAM"},
        "api_app_id": "A0APP",
        "token": "legacy-verification-token",
        "container": {"type": "message", "message_ts": "1700000008.000800", "channel_id": "C0CHAN", "is_ephemeral": false},
        "trigger_id": "123.456.abc",
        "team": {"id": "T0TEAM", "domain": "example"},
        "channel": {"id": "C0CHAN", "name": "ops"},
        "message": {"type": "message", "ts": "1700000008.000800", "text": "Approve the deploy?"},
        "response_url": "https://hooks.slack.com/actions/T0TEAM/1/secret-response-url",
        "actions": [{
            "type": "button", "action_id": "approve", "block_id": "b1",
            "text": {"type": "plain_text", "text": "Approve ✅"},
            "value": "approve deploy #42 — yes", "action_ts": "1700000009.000900"
        }]
    });
    let body = form(&payload);
    assert!(body.starts_with(b"payload=%7B"), "a real form body");
    // Signed over the raw form bytes; a re-encoding of the same form is other bytes.
    let ts = now();
    let signature = [
        ("x-slack-request-timestamp", ts.to_string()),
        ("x-slack-signature", sign(ts, &body)),
    ];
    let reencoded = String::from_utf8(body.clone())
        .expect("ascii")
        .replace('+', "%20");
    assert_ne!(reencoded.as_bytes(), body.as_slice());
    assert_eq!(
        s.post_raw(reencoded.as_bytes(), FORM, &signature).await.0,
        401
    );
    let (status, answer) = s.post_raw(&body, FORM, &signature).await;
    assert_eq!(status, 200);
    assert!(answer.is_empty(), "an empty 200 closes the interaction");

    let messages = s.daemon.messages();
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(m["external_id"], "C0CHAN:1700000009.000900");
    assert_eq!(m["conversation_id"], "C0CHAN");
    assert_eq!(m["sender_id"], "U0PERSON");
    assert_eq!(m["sender_name"], "ada");
    assert_eq!(m["kind"], "button");
    assert_eq!(m["button"]["payload"], "approve deploy #42 — yes");
    assert_eq!(m["button"]["label"], "Approve ✅");
    assert_eq!(m["text"], "approve deploy #42 — yes");
    assert_eq!(m["reply_to"], "C0CHAN:1700000008.000800");
    assert_eq!(m["metadata"]["actions"][0]["action_id"], "approve");
    let stored = m.to_string();
    assert!(
        !stored.contains("secret-response-url") && !stored.contains("legacy-verification-token"),
        "credentials in the payload are not stored: {stored}"
    );
    // No message of its own to react to; the echo goes to the channel.
    s.expect_outbound(0, 1).await;
    assert_eq!(s.posts()[0].json()["channel"], "C0CHAN");
    assert_eq!(s.posts()[0].json()["text"], "approve deploy #42 — yes");
}

#[tokio::test]
async fn every_fixture_is_handled_as_slack_means_it() {
    let s = setup().await;
    let (status, answer) = s
        .post_signed(
            &fixture("slack/slackeventsapi-url_challenge.json"),
            JSON,
            &[],
        )
        .await;
    assert_eq!(status, 200);
    assert!(answer.contains("valid_challenge_token"));
    for name in [
        "slackeventsapi-reaction_added.json",
        "slack-morphism-message_changed_by_bot.json",
        "slack-morphism-message_changed.json",
        "slackdocs-message-im.json",
        "slackdocs-app_mention.json",
    ] {
        let (status, _) = s
            .post_signed(&fixture(&format!("slack/{name}")), JSON, &[])
            .await;
        assert_eq!(status, 200, "{name}; log:\n{}", s.daemon.log());
    }
    // The event wrapper schema's own example (a `resources_added` event).
    let schema = fixture_json("slack/slack-api-specs-event-wrapper.schema.json");
    s.deliver(&schema["examples"][0]).await;
    // The documented slash command, signed now.
    let (status, _) = s
        .post_signed(
            &fixture("slack/slackdocs-signing-example.body.txt"),
            FORM,
            &[],
        )
        .await;
    assert_eq!(status, 200);

    let messages = s.daemon.messages();
    let by_id = |id: &str| -> Value {
        messages
            .iter()
            .find(|m| m["external_id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} not stored among {messages:?}"))
    };
    assert_eq!(messages.len(), 4, "{messages:?}");

    let reaction =
        by_id("D2AQCJCQ2:1477958101.000004:reaction:U27FFLNF4:grinning:added:1477958240.864741");
    assert_eq!(reaction["kind"], "reaction");
    assert_eq!(reaction["no_turn"], "reaction");
    assert_eq!(
        reaction["reaction"]["target"],
        "D2AQCJCQ2:1477958101.000004"
    );
    assert_eq!(reaction["reaction"]["emoji"], "grinning");

    let im = by_id("D024BE91L:1355517523.000005");
    assert_eq!(im["conversation_id"], "D024BE91L");
    assert_eq!(im["sender_id"], "U2147483697");
    assert_eq!(im["text"], "Hello hello can you hear me?");
    assert_eq!(im["metadata"]["channel_type"], "im");
    assert_eq!(im["chat_type"], "direct");

    let mention = by_id("C123ABC456:1515449522.000016");
    assert_eq!(mention["sender_id"], "U061F7AUR");
    assert_eq!(
        mention["text"],
        "<@U0LAN0Z89> is it everything a river should be?"
    );
    assert_eq!(mention["metadata"]["event_type"], "app_mention");
    assert_eq!(mention["mentions_bot"], true);
    assert_eq!(mention["chat_type"], "group");

    let command = by_id("G8PSS9T3V:398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c");
    assert_eq!(command["text"], "/webhook-collect");
    assert_eq!(command["sender_id"], "U2CERLKJA");
    assert_eq!(command["sender_name"], "roadrunner");
    let stored = command.to_string();
    assert!(
        !stored.contains("xyzz0WbapA4vBCDEFasx0q6G")
            && !stored.contains("96rGlfmibIGlgcZRskXaIFfN"),
        "the legacy token and response_url are not stored: {stored}"
    );

    // Reactions for the two events, none for the command; three echoes.
    s.expect_outbound(2, 3).await;
}

#[tokio::test]
async fn non_ascii_text_round_trips_exactly() {
    let s = setup().await;
    let text = "J'ai mangé des pâtes 🍝 — Привет, 世界 :tada:";
    s.deliver(&envelope(
        "Ev0UTF8",
        message("C0CHAN", "1700000013.001300", text),
    ))
    .await;
    assert_eq!(s.daemon.messages()[0]["text"], text);
    s.expect_outbound(1, 1).await;
    assert_eq!(s.posts()[0].json()["text"], text);
}

#[tokio::test]
async fn under_the_default_policy_only_mentions_in_a_listed_channel_are_answered() {
    let s = setup_with(Options {
        access: Some("allow_groups = [\"C0CHAN\"]"),
        ..DEFAULT
    })
    .await;
    s.deliver(&envelope(
        "Ev0A1",
        message("C0CHAN", "1700000101.000100", "chatter"),
    ))
    .await;
    let asked = format!("<@{BOT_USER}> deploy?");
    s.deliver(&envelope(
        "Ev0A2",
        message("C0CHAN", "1700000102.000100", &asked),
    ))
    .await;
    s.deliver(&envelope(
        "Ev0A3",
        mention("C0CHAN", "1700000102.000100", &asked),
    ))
    .await;
    let elsewhere = format!("<@{BOT_USER}> here?");
    s.deliver(&envelope(
        "Ev0A4",
        mention("C0OTHER", "1700000103.000100", &elsewhere),
    ))
    .await;
    // Every person's message gets the acknowledgement reaction; one is answered.
    s.expect_outbound(3, 1).await;
    let messages = s.daemon.messages();
    let reason = |ts: &str| -> Value {
        messages
            .iter()
            .find(|m| m["metadata"]["ts"] == ts)
            .map(|m| m["no_turn"].clone())
            .unwrap_or_else(|| panic!("{ts} not stored: {messages:?}"))
    };
    assert_eq!(reason("1700000101.000100"), json!("no-mention"));
    assert_eq!(reason("1700000102.000100"), Value::Null);
    assert_eq!(reason("1700000103.000100"), json!("not-allowed"));
}
