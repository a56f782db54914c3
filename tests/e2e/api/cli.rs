//! `switchboard send`: queued through the store, whether the daemon runs or not.

use super::rig::{Api, CONVERSATION, Rig, sent};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switchboard_send_with_the_daemon_running_delivers() {
    let rig = Rig::start(Api::Off, vec![sent("wamid.CLI1")]).await;

    let (ok, out, err) = rig
        .daemon
        .cli(&["send", "wa", CONVERSATION, "sent from a script"]);
    assert!(ok, "send failed:\n{out}\n{err}");
    let id: i64 = out.trim().parse().expect("the id on stdout");

    let sends = rig.wait_texts(1).await;
    assert_eq!(sends[0]["to"], "16505551234");
    assert_eq!(sends[0]["text"]["body"], "sent from a script");
    rig.daemon.wait_idle().await;
    let replies = rig.daemon.replies();
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0]["id"], id);
    assert_eq!(replies[0]["status"], "sent");
    assert_eq!(replies[0]["idempotency_key"], format!("sb-wa-send-{id}"));
    assert_eq!(replies[0]["receipt_external_id"], "wamid.CLI1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switchboard_send_queues_files_with_their_type_while_the_daemon_is_stopped() {
    let rig = Rig::new(Api::Off, vec![sent("wamid.CLI2")]).await;
    rig.daemon.write("report.pdf", "%PDF-1.4 a tiny report");
    rig.daemon.write("photo.JPG", "not really a jpeg");
    let dir = rig.daemon.dir.path();
    let (pdf, jpg) = (
        dir.join("report.pdf").display().to_string(),
        dir.join("photo.JPG").display().to_string(),
    );

    let (ok, out, err) = rig.daemon.cli(&[
        "send",
        "wa",
        CONVERSATION,
        "--attach",
        &pdf,
        "--attach",
        &jpg,
        "--thread",
        "t-9",
    ]);
    assert!(ok, "send failed:\n{out}\n{err}");

    let replies = rig.daemon.replies();
    assert_eq!(replies.len(), 1);
    let reply = &replies[0];
    assert_eq!(
        reply["status"], "pending",
        "nothing sends it while the daemon is stopped"
    );
    assert_eq!(reply["text"], "");
    assert_eq!(reply["thread_id"], "t-9");
    let kinds: Vec<(&str, &str, &str)> = reply["attachments"]
        .as_array()
        .expect("attachments")
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap_or_default(),
                a["mime_type"].as_str().unwrap_or_default(),
                a["file_name"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("document", "application/pdf", "report.pdf"),
            ("image", "image/jpeg", "photo.JPG")
        ]
    );
    // The file is in the blob store, under its sha256.
    let blob = reply["attachments"][0]["blob"].as_str().expect("blob");
    let stored = std::fs::read(dir.join("data/blobs").join(&blob[..2]).join(blob))
        .expect("the blob is stored");
    assert_eq!(stored, b"%PDF-1.4 a tiny report");

    let (ok, _, err) = rig.daemon.cli(&["send", "nope", CONVERSATION, "hi"]);
    assert!(!ok);
    assert!(err.contains("no [channels.nope]"), "{err}");
    let (ok, _, err) = rig.daemon.cli(&["send", "wa", CONVERSATION]);
    assert!(!ok);
    assert!(err.contains("nothing to send"), "{err}");
}
