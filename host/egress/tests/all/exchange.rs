//! Requests that are granted: what reaches the server and what comes back.

use std::time::Duration;

use switchboard_egress::redact;
use switchboard_types::{FetchError, OutgoingRequest};

use crate::mock::Mock;
use crate::{API_KEY, TOKEN, egress, get, operator_policy};

#[tokio::test]
async fn secrets_reach_the_server_and_come_back_redacted() {
    let mock = Mock::start().await;
    let policy = operator_policy(&[mock.url("")]);
    let request = OutgoingRequest {
        method: "POST".to_owned(),
        url: mock.url("/bot{{secret:token}}/sendMessage?key={{secret:api_key}}"),
        headers: vec![
            (
                "authorization".to_owned(),
                "Bearer {{secret:api_key}}".to_owned(),
            ),
            ("content-type".to_owned(), "application/json".to_owned()),
        ],
        body: br#"{"text":"hi"}"#.to_vec(),
        timeout_ms: Some(5_000),
    };

    let response = egress(Duration::from_secs(5))
        .fetch(&policy, request)
        .await
        .expect("granted request succeeds");

    let seen = mock.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "POST");
    assert_eq!(
        seen[0].path_and_query,
        format!("/bot{TOKEN}/sendMessage?key={API_KEY}")
    );
    assert_eq!(seen[0].authorization.as_deref(), Some("Bearer s3cr3t-key"));
    assert_eq!(seen[0].body, br#"{"text":"hi"}"#);

    assert_eq!(response.status, 200);
    let body = String::from_utf8(response.body).expect("utf-8 echo");
    assert_eq!(
        body,
        "POST /bot[redacted]/sendMessage?key=[redacted]\nauthorization: Bearer [redacted]\nbody: {\"text\":\"hi\"}"
    );
    let echoed = response
        .headers
        .iter()
        .find(|(name, _)| name == "x-echo-authorization")
        .map(|(_, value)| value.as_str());
    assert_eq!(echoed, Some("Bearer [redacted]"));
}

#[tokio::test]
async fn a_secret_in_a_header_name_or_in_another_case_is_redacted() {
    let mock = Mock::start().await;
    let policy = operator_policy(&[mock.url("")]);
    let upper = API_KEY.to_ascii_uppercase();
    let url = mock.url(&format!("/reflect?name=x-{upper}&body=one+{upper}+two"));
    let response = egress(Duration::from_secs(5))
        .fetch(&policy, get(&url))
        .await
        .expect("granted request succeeds");
    // The transport lower-cased the name on the way: it holds the value as it is.
    let names: Vec<&str> = response.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains(&"x-[redacted]"), "{names:?}");
    assert!(!format!("{:?}", response.headers).contains(API_KEY));
    assert_eq!(response.body, b"one+[redacted]+two");
}

#[tokio::test]
async fn reserved_characters_in_a_secret_are_encoded_in_the_query() {
    let mock = Mock::start().await;
    let mut secrets = crate::secrets();
    let odd = switchboard_egress::Secret::new("a&b=c/d")
        .placed(crate::placements(serde_json::json!([{ "query": "v" }])));
    secrets.insert("odd".to_owned(), odd);
    let policy = switchboard_egress::Policy::new(&[], &[mock.url("")], secrets).expect("policy");

    let response = egress(Duration::from_secs(5))
        .fetch(&policy, get(&mock.url("/q?v={{secret:odd}}&w=1")))
        .await
        .expect("granted request succeeds");

    assert_eq!(response.status, 200);
    assert_eq!(mock.seen()[0].path_and_query, "/q?v=a%26b%3Dc%2Fd&w=1");
    // The encoded form is redacted from the echo too.
    let body = String::from_utf8(response.body).expect("utf-8 echo");
    assert!(body.starts_with("GET /q?v=[redacted]&w=1"), "{body}");
}

#[tokio::test]
async fn redirects_are_returned_not_followed() {
    let mock = Mock::start().await;
    let elsewhere = Mock::start().await;
    // Both origins are granted, so only the no-redirect rule keeps the second one quiet.
    let policy = operator_policy(&[mock.url(""), elsewhere.url("")]);
    let target = elsewhere.url("/stolen");

    let response = egress(Duration::from_secs(5))
        .fetch(&policy, get(&mock.url(&format!("/redirect?to={target}"))))
        .await
        .expect("a 3xx is a response");

    assert_eq!(response.status, 302);
    let location = response
        .headers
        .iter()
        .find(|(name, _)| name == "location")
        .map(|(_, value)| value.clone());
    assert_eq!(location, Some(target));
    assert_eq!(mock.seen().len(), 1);
    assert!(elsewhere.seen().is_empty());
}

#[tokio::test]
async fn network_errors_name_neither_the_secret_nor_the_url() {
    // A port that was just free: nothing listens on it.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let origin = format!("http://127.0.0.1:{port}");
    let policy = operator_policy(std::slice::from_ref(&origin));

    let err = egress(Duration::from_secs(5))
        .fetch(
            &policy,
            get(&format!("{origin}/bot{{{{secret:token}}}}/getMe")),
        )
        .await
        .expect_err("nothing listens");

    let FetchError::Network(message) = &err else {
        panic!("expected a network error, got {err:?}");
    };
    assert!(!message.contains(TOKEN), "{message}");
    assert!(!message.contains("/bot"), "{message}");
    assert!(!message.is_empty());
    assert_eq!(redact(message, &policy), *message);
}
