//! Response size and time limits.

use std::time::Duration;

use switchboard_egress::{DnsOptions, Egress, EgressOptions};
use switchboard_types::FetchError;

use crate::mock::Mock;
use crate::{MAX_RESPONSE_BYTES, egress, get, operator_policy};

#[tokio::test]
async fn oversized_bodies_are_too_large_with_or_without_a_length() {
    let mock = Mock::start().await;
    let policy = operator_policy(&[mock.url("")]);
    let egress = egress(Duration::from_secs(5));

    for path in ["/big", "/big-stream"] {
        let result = egress.fetch(&policy, get(&mock.url(path))).await;
        assert_eq!(result, Err(FetchError::TooLarge), "{path}");
    }

    // A body under the limit passes whole.
    let small = egress
        .fetch(&policy, get(&mock.url("/small")))
        .await
        .expect("small body");
    assert!(!small.body.is_empty() && small.body.len() <= MAX_RESPONSE_BYTES);
}

#[tokio::test]
async fn slow_server_times_out() {
    let mock = Mock::start().await;
    let policy = operator_policy(&[mock.url("")]);
    let mut request = get(&mock.url("/slow"));
    request.timeout_ms = Some(200);

    let result = egress(Duration::from_secs(30))
        .fetch(&policy, request)
        .await;

    assert_eq!(result, Err(FetchError::Timeout));
    assert_eq!(mock.seen().len(), 1);
}

#[tokio::test]
async fn requested_timeout_is_capped_by_the_maximum() {
    let mock = Mock::start().await;
    let policy = operator_policy(&[mock.url("")]);
    let mut request = get(&mock.url("/slow"));
    // Far beyond the test's patience; the egress maximum must cut it short.
    request.timeout_ms = Some(u32::MAX);

    let result = egress(Duration::from_millis(200))
        .fetch(&policy, request)
        .await;

    assert_eq!(result, Err(FetchError::Timeout));
}

#[tokio::test]
async fn a_name_server_that_never_answers_fails_the_request_in_time_and_says_so() {
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    let egress = Egress::new(EgressOptions {
        max_response_bytes: MAX_RESPONSE_BYTES,
        default_timeout: Duration::from_secs(5),
        max_timeout: Duration::from_secs(5),
        user_agent: "switchboard-egress-tests".to_owned(),
        dns: DnsOptions {
            name_servers: vec![silent.local_addr().expect("addr")],
            lookup_timeout: Duration::from_secs(5),
        },
    })
    .expect("valid options");
    let policy = operator_policy(&["http://never-answers.test".to_owned()]);
    let mut request = get("http://never-answers.test/x");
    request.timeout_ms = Some(200);

    let started = std::time::Instant::now();
    let result = egress.fetch(&policy, request).await;

    // The request's own timeout ends the lookup, and the guest learns why.
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        result,
        Err(FetchError::Network(
            "no DNS answer for never-answers.test within 200 ms".to_owned()
        ))
    );
}
