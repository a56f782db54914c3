//! Streamed bodies: an upload assembled from bytes and a file reaches the server
//! exactly, and a download is read chunk by chunk past the response cap, under the
//! same grants as any request.

use std::time::Duration;

use switchboard_egress::{BodyPart, StreamedBody};
use switchboard_types::{FetchError, OutgoingRequest};

use crate::mock::Mock;
use crate::{MAX_RESPONSE_BYTES, TOKEN, egress, get, operator_policy};

#[tokio::test]
async fn an_upload_from_bytes_and_a_file_arrives_whole_with_its_secrets_filled_in() {
    let mock = Mock::start().await;
    let policy = operator_policy(&[mock.url("")]);
    let dir = std::env::temp_dir().join(format!("sb-egress-upload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("file");
    let file_content: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &file_content).expect("write");

    let mut body = StreamedBody::default();
    body.push(BodyPart::Bytes("head:".into()));
    body.push(BodyPart::File {
        file: tokio::fs::File::open(&path).await.expect("open"),
        len: file_content.len() as u64,
    });
    body.push(BodyPart::Bytes(":tail".into()));
    let request = OutgoingRequest {
        method: "POST".to_owned(),
        url: mock.url("/bot{{secret:token}}/sendDocument"),
        headers: Vec::new(),
        body: Vec::new(),
        timeout_ms: None,
    };
    let answer = egress(Duration::from_secs(5))
        .fetch_streamed(&policy, request, body, Duration::from_secs(5))
        .await;
    // The mock echoes the body, which passes the response cap: the answer is too
    // large to hand to a guest, but the upload went out.
    assert!(matches!(answer, Err(FetchError::TooLarge)), "{answer:?}");

    let seen = mock.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path_and_query, format!("/bot{TOKEN}/sendDocument"));
    let mut expected = b"head:".to_vec();
    expected.extend_from_slice(&file_content);
    expected.extend_from_slice(b":tail");
    assert_eq!(seen[0].body, expected);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_download_is_read_in_chunks_past_the_response_cap() {
    let mock = Mock::start().await;
    let policy = operator_policy(&[mock.url("")]);
    // The mock echoes the request body back, so this answer is larger than the cap
    // on ordinary responses.
    let sent = vec![b'x'; MAX_RESPONSE_BYTES * 8];
    let request = OutgoingRequest {
        body: sent.clone(),
        method: "POST".to_owned(),
        ..get(&mock.url("/file"))
    };
    let mut download = egress(Duration::from_secs(5))
        .download(&policy, request, Duration::from_secs(5))
        .await
        .expect("granted download");
    assert_eq!(download.status, 200);
    let mut received = Vec::new();
    while let Some(chunk) = download.chunk().await.expect("chunk") {
        received.extend_from_slice(&chunk);
    }
    assert!(
        received.len() > MAX_RESPONSE_BYTES * 8,
        "{}",
        received.len()
    );
    assert!(received.ends_with(&sent));
}

#[tokio::test]
async fn a_download_from_an_ungranted_origin_sends_nothing() {
    let mock = Mock::start().await;
    let policy = operator_policy(&[]);
    let refused = egress(Duration::from_secs(5))
        .download(&policy, get(&mock.url("/file")), Duration::from_secs(5))
        .await
        .expect_err("not granted");
    assert!(matches!(refused, FetchError::Denied(_)), "{refused:?}");
    assert!(mock.seen().is_empty());
}
