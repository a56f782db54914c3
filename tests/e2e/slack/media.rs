//! Slack files through the daemon: a shared file is downloaded from its
//! `url_private` with the bot token into the blob store; a file URL elsewhere never
//! gets the token; an agent's image goes out through Slack's external upload flow.

use std::time::Duration;

use serde_json::{Value, json};

use super::{BOT_TOKEN, DEFAULT, Options, envelope, message, setup_with};
use crate::agents::scripted::ScriptedServer;
use crate::harness::eventually;
use crate::mock::Rule;

const CONTENT: &str = "hug a kitten\n";

fn file_share(ts: &str, url_private: &str) -> Value {
    let mut event = message("D0DIRECT", ts, "");
    event["channel_type"] = json!("im");
    event["subtype"] = json!("file_share");
    event["files"] = json!([{
        "id": "F04EEHX1EES", "name": "notes.txt", "title": "notes.txt",
        "mimetype": "text/plain", "filetype": "text", "size": CONTENT.len(),
        "url_private": url_private
    }]);
    event
}

#[tokio::test]
async fn a_shared_file_is_downloaded_with_the_bot_token_and_a_foreign_url_never_gets_it() {
    let s = setup_with(DEFAULT).await;
    s.mock
        .rule(Rule::always("/files-pri/", 200, CONTENT.to_owned()));
    let url = format!("{}/files-pri/T0TEAM-F04EEHX1EES/notes.txt", s.mock.origin);
    s.deliver(&envelope("Ev0FILE1", file_share("1700000100.000100", &url)))
        .await;

    let replied = eventually(Duration::from_secs(20), || s.posts().into_iter().next())
        .await
        .unwrap_or_else(|| panic!("no reply; log:\n{}", s.daemon.log()));
    assert_eq!(
        replied.json()["text"],
        format!(
            "received document (text/plain, {} bytes, stored)",
            CONTENT.len()
        )
    );
    let fetched = s.mock.requests_to("/files-pri/");
    assert_eq!(fetched.len(), 1);
    assert_eq!(
        fetched[0].header("authorization"),
        Some(format!("Bearer {BOT_TOKEN}").as_str())
    );

    // A crafted event pointing the file elsewhere: refused before any request, so the
    // token goes nowhere; the message is still answered.
    s.deliver(&envelope(
        "Ev0FILE2",
        file_share("1700000101.000100", "https://attacker.example/files-pri/x"),
    ))
    .await;
    let second = eventually(Duration::from_secs(20), || {
        let posts = s.posts();
        (posts.len() >= 2).then_some(posts)
    })
    .await
    .unwrap_or_else(|| panic!("no second reply; log:\n{}", s.daemon.log()));
    assert!(
        second[1].json()["text"]
            .as_str()
            .is_some_and(|t| t.ends_with("failed)")),
        "{:?}",
        second[1].json()
    );
    s.daemon.wait_idle().await;
    assert_eq!(s.mock.requests_to("/files-pri/").len(), 1);
    let messages = s.daemon.messages();
    let state_of = |ts: &str| {
        messages
            .iter()
            .find(|m| m["external_id"].as_str().is_some_and(|id| id.ends_with(ts)))
            .map(|m| m["attachments"][0]["state"].clone())
    };
    assert_eq!(state_of("1700000100.000100"), Some(json!("stored")));
    assert_eq!(state_of("1700000101.000100"), Some(json!("failed")));
}

#[tokio::test]
async fn an_agents_image_goes_through_the_external_upload_flow() {
    use base64::Engine as _;
    let png: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
    let encoded = base64::engine::general_purpose::STANDARD.encode(&png);
    let agent = ScriptedServer::start(move |_, _| {
        (
            200,
            json!({"replies": [{"text": "the chart", "attachments": [
                {"kind": "image", "mime_type": "image/png", "file_name": "chart.png", "data_base64": encoded}
            ]}]})
            .to_string(),
        )
    })
    .await;
    let s = setup_with(Options {
        agent: Some(format!(
            "[agent]\nkind = \"http\"\nurl = \"{}/turn\"",
            agent.origin
        )),
        ..DEFAULT
    })
    .await;
    let upload_url = format!("{}/upload/v1/ABC123", s.mock.origin);
    s.mock.rule(Rule::always(
        "/api/files.getUploadURLExternal",
        200,
        json!({"ok": true, "upload_url": upload_url, "file_id": "F0UPLOADED"}).to_string(),
    ));
    s.mock
        .rule(Rule::always("/upload/v1/", 200, "OK".to_owned()));
    s.mock.rule(Rule::always(
        "/api/files.completeUploadExternal",
        200,
        json!({"ok": true, "files": [{"id": "F0UPLOADED", "title": "chart.png"}]}).to_string(),
    ));
    let mut ask = message("D0DIRECT", "1700000200.000100", "chart please");
    ask["channel_type"] = json!("im");
    s.deliver(&envelope("Ev0ASK", ask)).await;

    let completed = eventually(Duration::from_secs(20), || {
        s.mock
            .requests_to("/api/files.completeUploadExternal")
            .into_iter()
            .next()
    })
    .await
    .unwrap_or_else(|| {
        panic!(
            "no completeUploadExternal; mock saw {:?}\nlog:\n{}",
            s.mock.requests(),
            s.daemon.log()
        )
    });
    let share = completed.json();
    assert_eq!(share["files"][0]["id"], "F0UPLOADED");
    assert_eq!(share["channel_id"], "D0DIRECT");
    assert_eq!(share["initial_comment"], "the chart");

    let asked = s.mock.requests_to("/api/files.getUploadURLExternal");
    assert_eq!(asked.len(), 1);
    let form = String::from_utf8_lossy(&asked[0].body).into_owned();
    assert!(form.contains("filename=chart.png"), "{form}");
    assert!(form.contains(&format!("length={}", png.len())), "{form}");
    let uploads = s.mock.requests_to("/upload/v1/");
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0].body, png, "the image goes up byte for byte");
    assert_eq!(
        uploads[0].header("authorization"),
        None,
        "the upload URL carries its own authorisation; the token stays home"
    );
    s.daemon.wait_idle().await;
    assert!(
        s.posts().is_empty(),
        "no separate text message: {:?}",
        s.posts()
    );
}
