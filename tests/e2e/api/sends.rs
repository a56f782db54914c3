//! Sends through the API reach the platform through the outbox: accepted with 202,
//! retried like replies, sent once per idempotency key, and reported by
//! `GET /v1/messages/ID`.

use base64::Engine as _;
use serde_json::json;

use super::rig::{Api, CONVERSATION, PHONE_NUMBER_ID, Rig, sent};
use crate::mock::Rule;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_is_accepted_delivered_and_then_reported_sent() {
    let rig = Rig::start(Api::On, vec![sent("wamid.API1")]).await;

    let (status, answer) = rig
        .post(
            &json!({"instance": "wa", "conversation_id": CONVERSATION, "text": "your order shipped"}),
            &[],
        )
        .await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["state"], "pending");
    let id = answer["id"].as_i64().expect("id");

    let sends = rig.wait_texts(1).await;
    assert_eq!(sends[0]["to"], "16505551234");
    assert_eq!(sends[0]["text"]["body"], "your order shipped");
    assert!(
        sends[0]["context"].is_null(),
        "a send quotes no message: {}",
        sends[0]
    );
    let (request, _) = &rig.texts()[0];
    assert!(
        request
            .path
            .contains(&format!("/{PHONE_NUMBER_ID}/messages"))
    );

    let status = rig.wait_state(id, "sent").await;
    assert_eq!(
        status,
        json!({
            "id": id, "instance": "wa", "conversation_id": CONVERSATION, "state": "sent",
            "attempts": 1, "last_error": null, "platform_id": "wamid.API1",
        })
    );
    assert!(rig.daemon.log_shows("api: send queued").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_idempotency_key_sends_once_and_answers_with_the_first_send() {
    let rig = Rig::start(Api::On, vec![sent("wamid.API2")]).await;
    let body = json!({"instance": "wa", "conversation_id": CONVERSATION, "text": "only once"});
    let key = [("idempotency-key", "order-1234-shipped")];

    let (first_status, first) = rig.post(&body, &key).await;
    assert_eq!(first_status, 202, "{first}");
    let id = first["id"].as_i64().expect("id");
    rig.wait_state(id, "sent").await;
    let (again_status, again) = rig.post(&body, &key).await;
    assert_eq!(again_status, 200, "a repeat is not accepted anew: {again}");
    assert_eq!(again, json!({"id": id, "state": "sent"}));

    rig.daemon.wait_idle().await;
    assert_eq!(rig.texts().len(), 1, "sent once");
    assert_eq!(rig.daemon.replies().len(), 1, "queued once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_the_platform_fails_with_500_is_retried_then_sent() {
    let failing = Rule {
        path: "/messages".to_owned(),
        status: 500,
        body: r#"{"error":{"message":"internal"}}"#.to_owned(),
        headers: Vec::new(),
        times: Some(1),
    };
    let rig = Rig::start(Api::On, vec![failing, sent("wamid.API3")]).await;

    let (status, answer) = rig
        .post(
            &json!({"instance": "wa", "conversation_id": CONVERSATION, "text": "second time lucky"}),
            &[],
        )
        .await;
    assert_eq!(status, 202, "{answer}");
    let id = answer["id"].as_i64().expect("id");

    let report = rig.wait_state(id, "sent").await;
    assert_eq!(report["attempts"], 2);
    assert_eq!(report["platform_id"], "wamid.API3");
    rig.daemon.wait_idle().await;
    let sends = rig.texts();
    assert_eq!(sends.len(), 2, "one failure, one success");
    assert!(
        sends.iter().all(|(_, body)| *body == sends[0].1),
        "the same message each time"
    );
    assert!(
        rig.daemon
            .log_shows("reply not delivered; will retry")
            .await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attachment_is_kept_in_the_blob_store_and_served_back_byte_for_byte() {
    let uploaded = Rule {
        path: format!("/{PHONE_NUMBER_ID}/media"),
        status: 200,
        body: json!({"id": "MEDIA-API4"}).to_string(),
        headers: Vec::new(),
        times: None,
    };
    let rig = Rig::start(Api::On, vec![uploaded, sent("wamid.API4")]).await;
    // Not all bytes are text: a PNG header and every byte value.
    let mut file = b"\x89PNG\r\n\x1a\n".to_vec();
    file.extend(0..=255u8);
    let encoded = base64::engine::general_purpose::STANDARD.encode(&file);

    let (status, answer) = rig
        .post(
            &json!({
                "instance": "wa", "conversation_id": CONVERSATION, "text": "the chart",
                "attachments": [{"kind": "image", "mime_type": "image/png",
                                 "file_name": "chart.png", "data_base64": encoded}]
            }),
            &[],
        )
        .await;
    assert_eq!(status, 202, "{answer}");
    let id = answer["id"].as_i64().expect("id");

    let reply = rig
        .daemon
        .replies()
        .into_iter()
        .find(|r| r["id"] == id)
        .expect("the send is in the outbox");
    let attachment = &reply["attachments"][0];
    assert_eq!(attachment["kind"], "image");
    assert_eq!(attachment["mime_type"], "image/png");
    assert_eq!(attachment["file_name"], "chart.png");
    assert_eq!(attachment["size"], file.len());
    let sha256 = attachment["blob"].as_str().expect("blob");
    assert_eq!(
        sha256,
        hex::encode(ring::digest::digest(&ring::digest::SHA256, &file))
    );

    let response = rig
        .http
        .get(rig.admin_url(&format!("/v1/blobs/{sha256}")))
        .bearer_auth(super::rig::TOKEN)
        .send()
        .await
        .expect("get blob");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/octet-stream"
    );
    assert_eq!(
        response.headers()["content-length"],
        file.len().to_string().as_str()
    );
    assert_eq!(
        response.bytes().await.expect("body").as_ref(),
        file.as_slice()
    );

    // Without the token, the blob is not served.
    let response = rig
        .http
        .get(rig.admin_url(&format!("/v1/blobs/{sha256}")))
        .send()
        .await
        .expect("get blob");
    assert_eq!(response.status().as_u16(), 401);

    // The channel uploads the file from the blob store, then sends it by id with the
    // text as its caption.
    rig.wait_state(id, "sent").await;
    let uploads = rig.graph.requests_to(&format!("/{PHONE_NUMBER_ID}/media"));
    assert_eq!(uploads.len(), 1);
    assert!(
        uploads[0]
            .body
            .windows(file.len())
            .any(|w| w == file.as_slice()),
        "the file is not in the upload"
    );
    let image = rig
        .graph
        .requests_to("/messages")
        .iter()
        .map(|r| r.json())
        .find(|b| b["type"] == "image")
        .expect("an image message");
    assert_eq!(
        image["image"],
        json!({"id": "MEDIA-API4", "caption": "the chart"})
    );
}
