//! WhatsApp media through the daemon: the channel looks the media id up
//! (`GET /{media-id}`), the host downloads the short-lived URL with the access token
//! and streams it into the blob store, without the daemon's memory growing with
//! the file.

use std::time::Duration;

use serde_json::json;

use super::{ACCESS_TOKEN, delivery, entry, setup_with_access};
use crate::harness::eventually;
use crate::mock::Rule;

const MEDIA_ID: &str = "1037543291543636";

fn image_message(id: &str) -> serde_json::Value {
    json!({
        "from": "16505551234", "id": id, "timestamp": "1749416383", "type": "image",
        "image": {"mime_type": "image/jpeg", "sha256": "unused", "id": MEDIA_ID}
    })
}

/// The peak resident memory of a process so far, from `/proc` (Linux).
fn peak_rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    kib * 1024
}

#[tokio::test]
async fn an_image_is_looked_up_downloaded_with_the_token_and_described_to_the_agent() {
    let s = setup_with_access("").await;
    let content = "\u{ff}\u{d8} a jpeg, or near enough".to_owned();
    let url = format!("{}/whatsapp_business/attachments/?mid=7", s.mock.origin);
    s.mock.rule(Rule::always(
        &format!("/{MEDIA_ID}"),
        200,
        json!({"messaging_product": "whatsapp", "url": url, "mime_type": "image/jpeg",
               "sha256": "x", "file_size": content.len(), "id": MEDIA_ID})
        .to_string(),
    ));
    s.mock.rule(Rule::always(
        "/whatsapp_business/attachments/",
        200,
        content.clone(),
    ));
    let body = delivery(vec![entry(
        "106540352242922",
        vec![image_message("wamid.IMAGE1")],
        vec![],
    )]);
    assert_eq!(s.post_signed(&body).await, 200);

    let replied = eventually(Duration::from_secs(20), || s.sends().into_iter().next())
        .await
        .unwrap_or_else(|| panic!("no reply; log:\n{}", s.daemon.log()));
    let text = replied["text"]["body"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        text,
        format!(
            "received image (image/jpeg, {} bytes, stored)",
            content.len()
        )
    );
    let fetched = s.mock.requests_to("/whatsapp_business/attachments/");
    assert_eq!(fetched.len(), 1);
    assert_eq!(
        fetched[0].header("authorization"),
        Some(format!("Bearer {ACCESS_TOKEN}").as_str())
    );
    let messages = s.daemon.messages();
    let attachment = &messages[0]["attachments"][0];
    assert_eq!(attachment["state"], "stored", "{attachment}");
    assert_eq!(
        attachment["sha256"],
        hex::encode(ring::digest::digest(
            &ring::digest::SHA256,
            content.as_bytes()
        ))
        .as_str()
    );
}

#[tokio::test]
async fn a_100_mib_download_is_streamed_without_the_daemon_holding_it() {
    const SIZE: usize = 100 << 20;
    let s = setup_with_access("max_attachment_mb = 200").await;
    let url = format!("{}/whatsapp_business/attachments/?mid=big", s.mock.origin);
    s.mock.rule(Rule::always(&format!("/{MEDIA_ID}"), 200,
        json!({"messaging_product": "whatsapp", "url": url, "mime_type": "video/mp4", "id": MEDIA_ID})
            .to_string(),
    ));
    s.mock.rule(Rule::always(
        "/whatsapp_business/attachments/",
        200,
        "v".repeat(SIZE),
    ));
    let before = peak_rss_bytes(s.daemon.pid());
    let mut message = image_message("wamid.BIG");
    message["type"] = json!("video");
    message["video"] = message["image"].take();
    message.as_object_mut().expect("object").remove("image");
    let body = delivery(vec![entry("106540352242922", vec![message], vec![])]);
    assert_eq!(s.post_signed(&body).await, 200);

    let stored = eventually(Duration::from_secs(60), || {
        let messages = s.daemon.messages();
        let attachment = messages.first()?["attachments"][0].clone();
        (attachment["state"] != "pending").then_some(attachment)
    })
    .await
    .unwrap_or_else(|| panic!("download never finished; log:\n{}", s.daemon.log()));
    assert_eq!(stored["state"], "stored", "{stored}");
    assert_eq!(stored["stored_size"], SIZE);
    let grew = peak_rss_bytes(s.daemon.pid()).saturating_sub(before);
    eprintln!(
        "peak RSS grew by {} KiB during a 100 MiB download",
        grew >> 10
    );
    assert!(
        grew < 16 << 20,
        "the daemon's peak RSS grew by {} MiB for a 100 MiB download",
        grew >> 20
    );
}

#[tokio::test]
async fn an_agents_document_is_uploaded_to_the_media_endpoint_then_sent_by_id() {
    use base64::Engine as _;
    let pdf = b"%PDF-1.4 quarterly numbers".to_vec();
    let encoded = base64::engine::general_purpose::STANDARD.encode(&pdf);
    let agent = crate::agents::scripted::ScriptedServer::start(move |_, _| {
        (
            200,
            json!({"replies": [{"text": "the report", "attachments": [
                {"kind": "document", "mime_type": "application/pdf", "file_name": "q3.pdf", "data_base64": encoded}
            ]}]})
            .to_string(),
        )
    })
    .await;
    let s = super::setup_with_agent(
        &format!("kind = \"http\"\nurl = \"{}/turn\"", agent.origin),
        "",
    )
    .await;
    s.mock.rule(Rule::always(
        "/media",
        200,
        json!({"id": "UPLOADED-1"}).to_string(),
    ));
    let body = delivery(vec![entry(
        "106540352242922",
        vec![super::text_message(
            "wamid.ASK",
            "16505551234",
            "the report please",
        )],
        vec![],
    )]);
    assert_eq!(s.post_signed(&body).await, 200);

    let sent = eventually(Duration::from_secs(20), || {
        s.mock
            .requests_to("/messages")
            .iter()
            .map(|r| r.json())
            .find(|b| b["type"] == "document")
    })
    .await
    .unwrap_or_else(|| {
        panic!(
            "no document sent; mock saw {:?}\nlog:\n{}",
            s.mock.requests(),
            s.daemon.log()
        )
    });
    assert_eq!(sent["document"]["id"], "UPLOADED-1");
    assert_eq!(sent["document"]["filename"], "q3.pdf");
    assert_eq!(sent["document"]["caption"], "the report");
    assert_eq!(sent["context"]["message_id"], "wamid.ASK");

    // The upload: multipart to /{phone-number-id}/media, the file byte for byte.
    let uploads = s.mock.requests_to("/106540352242922/media");
    assert_eq!(uploads.len(), 1);
    let upload = &uploads[0];
    assert_eq!(
        upload.header("authorization"),
        Some(format!("Bearer {ACCESS_TOKEN}").as_str())
    );
    assert!(
        upload.body.windows(pdf.len()).any(|w| w == pdf.as_slice()),
        "the file is not in the upload"
    );
    let text = String::from_utf8_lossy(&upload.body);
    assert!(
        text.contains("name=\"messaging_product\"\r\n\r\nwhatsapp"),
        "{text}"
    );
    assert!(text.contains("filename=\"q3.pdf\""), "{text}");
    s.daemon.wait_idle().await;
    assert_eq!(s.daemon.replies()[0]["status"], "sent");
}
