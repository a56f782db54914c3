//! The JavaScript example channel (`examples/js-channel`, component `webhook-js`):
//! built with componentize-js, published in the examples registry and installed the way a
//! third party's channel is, then run by the real daemon. It must behave as the Rust
//! example does, so the checks reuse that example's client ([`WebhookApp`]).
//!
//! The component embeds a JavaScript engine (about 12 MiB), so compiling it takes
//! seconds: one daemon runs every check that needs one.

use std::path::PathBuf;

use serde_json::{Value, json};

use super::support::{examples_registry, inspect, standard_webhooks_headers};
use super::{WebhookApp, delivery, example_app};
use crate::harness::repo_root;

/// The component as `just build` (recipe `example-js`) writes it.
fn js_wasm() -> PathBuf {
    let wasm = repo_root().join("target/examples/js/webhook_js.wasm");
    assert!(
        wasm.is_file(),
        "{} is missing: run `just example-js` (or `just build`)",
        wasm.display()
    );
    wasm
}

/// A daemon running `webhook-js` from the examples registry (see [`example_app`]).
async fn js_app() -> WebhookApp {
    let (app, installed) = example_app("webhook-js", "app-reply-js", |_| examples_registry()).await;
    assert!(
        installed.contains("switchboard:channel@0.2.1"),
        "install said: {installed}"
    );
    app
}

#[test]
fn the_js_example_targets_contract_0_2_1_and_imports_nothing_the_host_lacks() {
    let info = inspect(&js_wasm());
    assert_eq!(info["wit"], "0.2.1", "{info}");
    assert_eq!(info["supported"], true, "{info}");
    assert_eq!(info["hooks"], json!([]), "{info}");
    assert_eq!(
        info["exports"],
        json!(["switchboard:channel/channel@0.2.1"]),
        "{info}"
    );
    // The engine's own `fetch` would import wasi:http, which the host does not link;
    // the build disables it, so the rest is what wasmtime-wasi provides.
    let linked = [
        "switchboard:channel/",
        "wasi:cli/",
        "wasi:clocks/",
        "wasi:io/",
        "wasi:random/",
        "wasi:filesystem/",
    ];
    let imports = info["imports"].as_array().expect("imports");
    let foreign: Vec<&Value> = imports
        .iter()
        .filter(|i| {
            !linked
                .iter()
                .any(|p| i.as_str().is_some_and(|i| i.starts_with(p)))
        })
        .collect();
    assert!(
        foreign.is_empty(),
        "imports the host does not link: {foreign:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_js_example_stores_a_signed_delivery_answers_it_at_reply_url_and_refuses_the_rest() {
    let app = js_app().await;

    // A forged signature never reaches the component, and nothing is stored.
    let body = serde_json::to_vec(&delivery("m-forged", "forged")).expect("JSON");
    let forged =
        standard_webhooks_headers("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_x", &body);
    let (status, _) = app.post(&body, &forged).await;
    assert_eq!(status, 401);
    // Signed, but not the documented shape: the app hears which field is wrong.
    let (status, answer) = app
        .post_signed(
            "msg_bad",
            &json!({ "id": "m-bad", "text": "no conversation" }),
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer.contains("`conversation_id` is missing"), "{answer}");
    assert!(
        app.daemon.messages().is_empty(),
        "{:?}",
        app.daemon.messages()
    );

    let mut threaded = delivery("m-1", "hello from my app");
    threaded["thread_id"] = json!("t-3");
    threaded["chat_type"] = json!("group");
    threaded["sender_name"] = json!("Ann");
    // The app retrying the delivery signs a new attempt; the message id stays.
    for attempt in ["msg_delivery_1", "msg_delivery_1b"] {
        let (status, body) = app.post_signed(attempt, &threaded).await;
        assert_eq!(status, 200, "body {body}\nlog:\n{}", app.daemon.log());
        assert_eq!(
            serde_json::from_str::<Value>(&body).ok(),
            Some(json!({ "stored": "m-1" }))
        );
    }
    let messages = app.daemon.messages();
    assert_eq!(messages.len(), 1, "stored once: {messages:?}");
    let stored = &messages[0];
    assert_eq!(stored["external_id"], "m-1");
    assert_eq!(stored["conversation_id"], "ticket-42");
    assert_eq!(stored["sender_id"], "user-7");
    assert_eq!(stored["sender_name"], "Ann");
    assert_eq!(stored["sender_kind"], "user");
    assert_eq!(stored["chat_type"], "group");
    assert_eq!(stored["thread_id"], "t-3");
    assert_eq!(stored["text"], "hello from my app");
    assert_eq!(stored["mentions_bot"], true);
    assert_eq!(stored["metadata"]["webhook_id"], "msg_delivery_1");
    assert!(
        stored["timestamp"].as_u64().is_some_and(|t| t > 0),
        "{stored}"
    );

    app.assert_reply_posted(
        json!({
            "conversation_id": "ticket-42", "text": "hello from my app", "in_reply_to": "m-1",
            "thread_id": "t-3"
        }),
        "app-reply-js",
    )
    .await;
    app.daemon.wait_idle().await;
    assert_eq!(app.replies_received().len(), 1, "answered once");
}
