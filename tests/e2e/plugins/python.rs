//! The Python example channel (`examples/python-channel`, component `webhook-py`),
//! built with componentize-py, published in the examples registry and installed the way a
//! third party's would be: the Rust example's behaviour, through the real daemon.
//!
//! A componentize-py component carries a whole CPython (about 18 MiB) and takes
//! seconds to compile, so one daemon makes every check.

use serde_json::{Value, json};

use super::support::{examples_registry, inspect, python_wasm, standard_webhooks_headers};
use super::{WebhookApp, example_app};

/// A daemon running `webhook-py` from the examples registry (see [`example_app`]).
async fn python_app() -> WebhookApp {
    let (app, installed) = example_app("webhook-py", "py-reply-1", |_| examples_registry()).await;
    assert!(
        installed.contains("webhook-py"),
        "install said: {installed}"
    );
    app
}

#[tokio::test(flavor = "multi_thread")]
async fn the_python_example_stores_signed_deliveries_refuses_the_rest_and_posts_replies() {
    // What an operator sees before installing it.
    let info = inspect(&python_wasm());
    assert_eq!(info["wit"], "0.2.1", "{info}");
    assert_eq!(info["supported"], true, "{info}");
    assert_eq!(info["hooks"], json!([]), "world `minimal`: {info}");
    assert!(
        info["exports"]
            .as_array()
            .expect("exports")
            .contains(&json!("switchboard:channel/channel@0.2.1")),
        "{info}"
    );

    let app = python_app().await;
    let daemon = &app.daemon;
    let listed = daemon.json_lines(&["list", "--json"]);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["wit"], "0.2.1", "{listed:?}");

    let delivery = json!({
        "id": "py-1", "conversation_id": "ticket-42", "sender_id": "user-7",
        "text": "hello from Python", "chat_type": "group", "thread_id": "t-3",
    });

    // Signed with another secret: the host refuses it before the component runs.
    let body = serde_json::to_vec(&delivery).expect("JSON body");
    let forged =
        standard_webhooks_headers("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_f", &body);
    let (status, _) = app.post(&body, &forged).await;
    assert_eq!(status, 401, "log:\n{}", daemon.log());
    // Signed, but not the documented shape: the app hears which field is wrong.
    let (status, answer) = app
        .post_signed("msg_b", &json!({ "id": "py-bad", "text": "x" }))
        .await;
    assert_eq!(status, 400, "{answer}\nlog:\n{}", daemon.log());
    assert!(answer.contains("conversation_id"), "{answer}");
    // Nesting deep enough to exhaust the interpreter's stack is refused by name, not
    // a trap (which would keep the delivery as a dead letter).
    let deep = format!(
        r#"{{"id":"py-deep","conversation_id":"c","sender_id":"u","text":"x","n":{}{}}}"#,
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let signed = standard_webhooks_headers(&app.secret, "msg_d", deep.as_bytes());
    let (status, answer) = app.post(deep.as_bytes(), &signed).await;
    assert_eq!(status, 400, "{answer}\nlog:\n{}", daemon.log());
    assert!(answer.contains("nested deeper than 128 levels"), "{answer}");
    assert!(daemon.messages().is_empty(), "{:?}", daemon.messages());

    let (status, answer) = app.post_signed("msg_py_1", &delivery).await;
    assert_eq!(status, 200, "{answer}\nlog:\n{}", daemon.log());
    assert_eq!(
        serde_json::from_str::<Value>(&answer).ok(),
        Some(json!({ "stored": "py-1" }))
    );
    let messages = daemon.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let stored = &messages[0];
    assert_eq!(stored["external_id"], "py-1");
    assert_eq!(stored["conversation_id"], "ticket-42");
    assert_eq!(stored["sender_id"], "user-7");
    assert_eq!(stored["sender_kind"], "user");
    assert_eq!(stored["text"], "hello from Python");
    assert_eq!(stored["chat_type"], "group");
    assert_eq!(stored["thread_id"], "t-3");
    assert_eq!(stored["metadata"]["webhook_id"], "msg_py_1");

    app.assert_reply_posted(
        json!({
            "conversation_id": "ticket-42", "text": "hello from Python",
            "in_reply_to": "py-1", "thread_id": "t-3",
        }),
        "py-reply-1",
    )
    .await;

    let letters = daemon.json_lines(&["dead-letters", "list", "--json"]);
    assert!(letters.is_empty(), "{letters:?}");
}
