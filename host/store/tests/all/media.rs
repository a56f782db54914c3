//! Attachments: written with their message, held until the turn releases them,
//! recorded as stored with their blob, dead-lettered when they fail, and their blobs
//! pruned once no message refers to them.

use switchboard_store::{DeadLetterKind, DownloadOutcome, HookOutcome};
use switchboard_types::{Attachment, AttachmentKind, AttachmentState, NoTurn};

use crate::support::{message, on_both, stored};

fn photo(reference: &str) -> Attachment {
    Attachment {
        kind: AttachmentKind::Image,
        mime_type: Some("image/jpeg".to_owned()),
        size: Some(10),
        file_name: None,
        caption: None,
        reference: reference.to_owned(),
    }
}

on_both! {
async fn downloads_wait_for_the_turn_then_are_due_once_and_recorded(t) {
    let s = &t.store;
    let mut m = message("m1", "c", "look");
    m.attachments = vec![photo("a"), photo("b")];
    let m = stored(s, "wa", m).await;

    // Held: nobody's turn has admitted the message yet.
    assert!(s.due_downloads(i64::MAX - 1, 10).await.unwrap().is_empty());
    assert_eq!(s.pending_downloads(m.id).await.unwrap(), 2);

    let released = s.release_downloads(m.id).await.unwrap();
    assert_eq!(released.len(), 2);
    assert_eq!(released[0].attachment.reference, "a");
    assert_eq!(released[1].position, 1);
    // Releasing again hands nothing over twice.
    assert!(s.release_downloads(m.id).await.unwrap().is_empty());

    let sha = "ab".repeat(32);
    s.finish_download(
        m.id,
        0,
        DownloadOutcome::Stored {
            sha256: sha.clone(),
            size: 10,
        },
    )
    .await
    .unwrap();
    s.finish_download(
        m.id,
        1,
        DownloadOutcome::Failed {
            error: "the download answered 404".to_owned(),
            dead_letter: true,
        },
    )
    .await
    .unwrap();
    assert_eq!(s.pending_downloads(m.id).await.unwrap(), 0);
    let attachments = s.attachments(m.id).await.unwrap();
    assert_eq!(attachments[0].state, AttachmentState::Stored);
    assert_eq!(attachments[0].sha256.as_deref(), Some(sha.as_str()));
    assert_eq!(attachments[1].state, AttachmentState::Failed);
    assert_eq!(s.blob_recorded(sha.clone()).await.unwrap(), Some(10));

    let letters = s.dead_letters(true).await.unwrap();
    let letter = letters
        .iter()
        .find(|l| l.kind == DeadLetterKind::Attachment)
        .expect("an attachment dead letter");
    assert_eq!(letter.message_id, Some(m.id));
    s.requeue_download(m.id, 1).await.unwrap();
    assert_eq!(s.pending_downloads(m.id).await.unwrap(), 1);
}
}

on_both! {
async fn a_message_that_gets_no_turn_never_has_its_files_fetched(t) {
    let s = &t.store;
    let mut m = message("m2", "c", "hi");
    m.attachments = vec![photo("a")];
    let m = stored(s, "wa", m).await;
    s.skip_turn(m.id, NoTurn::NotAllowed, None).await.unwrap();
    let attachments = s.attachments(m.id).await.unwrap();
    assert_eq!(attachments[0].state, AttachmentState::Failed);
    assert!(
        attachments[0]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("not-allowed")),
        "{attachments:?}"
    );
    assert!(s.release_downloads(m.id).await.unwrap().is_empty());
}
}

on_both! {
async fn a_blob_is_pruned_only_once_no_message_refers_to_it(t) {
    let s = &t.store;
    let mut m = message("m3", "c", "x");
    m.attachments = vec![photo("a")];
    let m = stored(s, "wa", m).await;
    let sha = "cd".repeat(32);
    s.release_downloads(m.id).await.unwrap();
    s.finish_download(
        m.id,
        0,
        DownloadOutcome::Stored {
            sha256: sha.clone(),
            size: 10,
        },
    )
    .await
    .unwrap();
    let later = i64::MAX - 1;
    assert!(
        s.prune_blobs(later).await.unwrap().is_empty(),
        "still referred to"
    );

    s.finish_hook(m.id, HookOutcome::Done).await.unwrap();
    s.complete_turn(m.id, vec![]).await.unwrap();
    assert_eq!(s.prune(later).await.unwrap(), 1);
    assert_eq!(s.prune_blobs(later).await.unwrap(), vec![sha.clone()]);
    assert_eq!(s.blob_recorded(sha).await.unwrap(), None);
}
}
