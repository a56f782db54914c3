//! What the API refuses, with which status, naming which field, and saying why in
//! the log; none of it reaches the platform.

use serde_json::json;

use super::rig::{Api, CONVERSATION, Rig, TOKEN, raw_exchange, sent};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_without_the_token_gets_401_and_a_bearer_challenge() {
    let rig = Rig::start(Api::On, vec![sent("wamid.API0")]).await;
    let url = rig.admin_url("/v1/messages");
    let body = json!({"instance": "wa", "conversation_id": CONVERSATION, "text": "hi"});
    for token in [None, Some("api-token-wrong-0000000000"), Some(&TOKEN[1..])] {
        let mut request = rig.http.post(&url).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("post");
        assert_eq!(response.status().as_u16(), 401, "token {token:?}");
        let challenge = response.headers()["www-authenticate"]
            .to_str()
            .expect("header");
        assert!(challenge.starts_with("Bearer"), "{challenge}");
    }
    // Not even the routes are revealed without the token.
    let response = rig
        .http
        .get(rig.admin_url("/v1/nothing-here"))
        .send()
        .await
        .expect("get");
    assert_eq!(response.status().as_u16(), 401);
    assert!(rig.daemon.log_shows("no Authorization header").await);
    assert!(
        rig.daemon
            .log_shows("the bearer token is not the configured [api] token")
            .await
    );
    rig.daemon.wait_idle().await;
    assert!(rig.texts().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_400_naming_the_field_and_an_unknown_instance_404() {
    let rig = Rig::start(Api::On, vec![sent("wamid.API0")]).await;
    let file = |kind: &str, data: &str| json!([{"kind": kind, "mime_type": "image/png", "data_base64": data}]);
    let cases = [
        (json!({"instance": "wa", "text": "hi"}), "conversation_id"),
        (
            json!({"conversation_id": CONVERSATION, "text": "hi"}),
            "instance",
        ),
        (
            json!({"instance": "wa", "conversation_id": CONVERSATION}),
            "text",
        ),
        (
            json!({"instance": "wa", "conversation_id": CONVERSATION, "attachments": file("image", "%%%")}),
            "attachments[0].data_base64",
        ),
        (
            json!({"instance": "wa", "conversation_id": CONVERSATION, "attachments": file("hologram", "AAAA")}),
            "attachments[0].kind",
        ),
        (
            json!({"instance": "wa", "conversation_id": CONVERSATION, "text": "hi", "reply_to": "wamid.NEVER"}),
            "reply_to",
        ),
    ];
    for (body, field) in cases {
        let (status, answer) = rig.post(&body, &[]).await;
        assert_eq!(
            (status, answer["field"].as_str()),
            (400, Some(field)),
            "{body}: {answer}"
        );
        assert!(
            answer["error"]
                .as_str()
                .is_some_and(|e| e.starts_with(field)),
            "{answer}"
        );
    }
    let (status, answer) = rig
        .post(
            &json!({"instance": "wa", "conversation_id": CONVERSATION, "text": "hi"}),
            &[("idempotency-key", "has spaces in it")],
        )
        .await;
    assert_eq!(
        (status, answer["field"].as_str()),
        (400, Some("Idempotency-Key"))
    );

    let (status, answer) = rig
        .post(
            &json!({"instance": "nope", "conversation_id": CONVERSATION, "text": "hi"}),
            &[],
        )
        .await;
    assert_eq!(status, 404, "{answer}");
    assert!(rig.daemon.log_shows("unknown_instance").await);
    assert!(rig.daemon.log_shows("bad_field").await);

    rig.daemon.wait_idle().await;
    assert!(rig.texts().is_empty(), "nothing refused is sent");
    assert!(rig.daemon.replies().is_empty(), "nothing refused is queued");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_ids_blobs_routes_and_oversized_bodies_are_refused() {
    let rig = Rig::start(Api::On, vec![sent("wamid.API0")]).await;
    assert_eq!(rig.get("/v1/messages/424242").await.0, 404);
    assert_eq!(rig.get("/v1/messages/not-a-number").await.0, 404);
    let (status, answer) = rig.get("/v1/blobs/..%2F..%2Fswitchboard.db").await;
    assert_eq!((status, answer["field"].as_str()), (400, Some("sha256")));
    assert_eq!(
        rig.get(&format!("/v1/blobs/{}", "0".repeat(64))).await.0,
        404
    );
    assert_eq!(rig.get("/v1/elsewhere").await.0, 404);
    let response = rig
        .http
        .delete(rig.admin_url("/v1/messages"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("delete");
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(response.headers()["allow"], "POST");

    // A declared length over 32 MiB is refused on the headers alone.
    let admin = rig.daemon.admin.clone().expect("admin listener");
    let request = format!(
        "POST /v1/messages HTTP/1.1\r\nhost: switchboard\r\nauthorization: Bearer {TOKEN}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n",
        40 << 20
    );
    let response = raw_exchange(&admin, request.as_bytes()).await;
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(rig.daemon.log_shows("body_too_large").await);

    // The public listener never serves the API.
    let response = rig
        .http
        .post(rig.daemon.public_url("/v1/messages"))
        .bearer_auth(TOKEN)
        .json(&json!({"instance": "wa", "conversation_id": CONVERSATION, "text": "hi"}))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 404);
    rig.daemon.wait_idle().await;
    assert!(rig.texts().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_token_configured_the_api_is_not_there_and_the_log_says_why() {
    let rig = Rig::start(Api::Off, vec![sent("wamid.API0")]).await;
    let (status, _) = rig
        .post(
            &json!({"instance": "wa", "conversation_id": CONVERSATION, "text": "hi"}),
            &[],
        )
        .await;
    assert_eq!(status, 404);
    assert!(
        rig.daemon
            .log_shows("the HTTP API (/v1/) is off: no [api] token is configured")
            .await,
        "{}",
        rig.daemon.log()
    );
    assert!(rig.daemon.replies().is_empty());
}

#[test]
fn an_api_token_that_is_short_or_has_no_admin_listener_is_refused_at_check() {
    // The harness gives every daemon an admin listener.
    let config =
        |api: &str| format!("[server]\nlisten = \"127.0.0.1:0\"\ndata_dir = \"data\"\n\n{api}\n");
    for (api, complaint) in [
        (
            "[api]\ntoken = \"short\"",
            "api.token: 5 characters is too short",
        ),
        (
            "[api]\ntoken = { env = \"SB_TEST_UNSET_TOKEN\" }",
            "SB_TEST_UNSET_TOKEN",
        ),
        (
            "[api]\ntoken = \"a token with spaces in it\"",
            "api.token: only visible ASCII",
        ),
        ("[api]\nkey = \"api-token-6b1f9e0c2d7a4e58\"", "key"),
    ] {
        let daemon = crate::harness::TestDaemon::new(&config(api));
        let (ok, out, err) = daemon.cli(&["check"]);
        assert!(!ok, "{api:?} was accepted:\n{out}");
        assert!(
            err.contains(complaint) || out.contains(complaint),
            "{api:?}:\n{out}\n{err}"
        );
    }
    let daemon =
        crate::harness::TestDaemon::new(&config("[api]\ntoken = \"api-token-6b1f9e0c2d7a4e58\""))
            .without_admin_listener();
    let (ok, out, err) = daemon.cli(&["check"]);
    assert!(!ok, "accepted without an admin listener:\n{out}");
    assert!(err.contains("server.admin_listen"), "{out}\n{err}");
}
