//! The HTTP edge in front of the guests: body limits that refuse without
//! buffering, timeouts for slow clients, and bounded concurrency.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;

use crate::harness::TestDaemon;

use super::support::{Sandbox, TOKEN, channel, raw_exchange, read_until_closed, status_of};

/// Request head for a POST to `instance` with extra header lines.
fn head(instance: &str, extra: &str) -> String {
    format!(
        "POST /webhooks/{instance} HTTP/1.1\r\nhost: switchboard\r\nx-test-token: {TOKEN}\r\n{extra}\r\n"
    )
}

#[tokio::test]
async fn oversized_bodies_are_refused_before_they_are_read() {
    let sandbox = Sandbox::start(
        &[
            channel("good", "well-behaved"),
            channel("small", "well-behaved").option("max_body_bytes = 1024"),
        ],
        "",
        &[],
    );
    let addr = sandbox.addr();
    let limit = Duration::from_secs(10);

    // A declared length over the manifest's 64 KiB: refused on the headers alone,
    // without a single body byte sent.
    let request = head("good", "content-length: 10485760\r\n");
    let (response, closed) = raw_exchange(&addr, request.as_bytes(), limit).await;
    assert_eq!(status_of(&response), Some(413), "{response}");
    assert!(closed, "the connection is closed after a 413");

    // A chunked body with no length: refused once it passes the limit, while the
    // client has not even finished sending.
    let mut request = head("good", "transfer-encoding: chunked\r\n").into_bytes();
    let chunk = vec![b' '; (64 << 10) + 512];
    request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
    // No chunk terminator and no last chunk: the body never ends.
    request.extend_from_slice(&chunk);
    let (response, _) = raw_exchange(&addr, &request, limit).await;
    assert_eq!(status_of(&response), Some(413), "{response}");

    // The operator's limit wins over the manifest's: 2 KiB fits the manifest's
    // 64 KiB but not this instance's 1 KiB.
    let body = format!("padded-1{}", " ".repeat(2048));
    assert_eq!(sandbox.post("small", &body).await.status, 413);
    assert_eq!(sandbox.post("good", &body).await.status, 200);
    assert!(
        sandbox.messages_of("small").is_empty(),
        "a refused body never reaches the guest"
    );
    assert!(
        sandbox
            .daemon
            .log_shows("body exceeds the limit of 65536 bytes")
            .await,
        "log:\n{}",
        sandbox.daemon.log()
    );
    assert!(
        sandbox
            .daemon
            .log_shows("body exceeds the limit of 1024 bytes")
            .await,
        "log:\n{}",
        sandbox.daemon.log()
    );
    sandbox.assert_good_still_works("after-413").await;
}

#[tokio::test]
async fn whatsapp_admits_its_largest_payloads_by_default() {
    // Meta sends webhook payloads of up to 3 MB; the WhatsApp manifest's default
    // limit must let them through.
    const APP_SECRET: &str = "sandbox-app-secret-0c4d";
    let config = format!(
        r#"
[server]
listen = "127.0.0.1:0"
data_dir = "data"

[agent]
kind = "echo"

[channels.wa]
component = "whatsapp"
secrets = {{ app_secret = "{APP_SECRET}", verify_token = "sandbox-verify", access_token = "sandbox-access" }}
settings = {{ api_base = "http://127.0.0.1:1/v23.0" }}
allow = ["http://127.0.0.1:1"]
"#
    );
    let mut daemon = TestDaemon::new(&config);
    daemon.install("whatsapp");
    daemon.start();
    let delivery = json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "1", "changes": [{ "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "15550000000", "phone_number_id": "106540352242922" },
            "contacts": [{ "profile": { "name": "Big" }, "wa_id": "16505551234" }],
            "messages": [{ "from": "16505551234", "id": "wamid.BIG", "timestamp": "1749416383",
                           "type": "text", "text": { "body": "big" } }]
        }}]}]
    });
    let mut body = serde_json::to_vec(&delivery).expect("json");
    // Whitespace is valid JSON, so the payload stays a real delivery at 3 MB.
    body.resize(3_000_000, b' ');
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, APP_SECRET.as_bytes());
    let signature = format!(
        "sha256={}",
        hex::encode(ring::hmac::sign(&key, &body).as_ref())
    );
    let response = reqwest::Client::new()
        .post(daemon.url("/webhooks/wa"))
        .header("x-hub-signature-256", signature)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 200, "log:\n{}", daemon.log());
    let messages = daemon.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["external_id"], "wamid.BIG");
}

#[tokio::test]
async fn slow_clients_cannot_hold_connections() {
    let sandbox = Sandbox::start(
        &[channel("good", "well-behaved")],
        "header_timeout_ms = 500\nbody_timeout_ms = 1000",
        &[],
    );
    let addr = sandbox.addr();
    let limit = Duration::from_secs(10);

    // Connects and says nothing.
    let mut idle = TcpStream::connect(&addr).await.expect("connect");
    let started = Instant::now();
    let (response, closed) = read_until_closed(&mut idle, limit).await;
    assert!(closed, "an idle connection is closed");
    assert!(response.is_empty(), "{response}");
    assert!(started.elapsed() < limit);

    // Sends its headers one byte every 100 ms: it never finishes within the
    // header timeout, so it is cut off while still sending.
    let mut slow = TcpStream::connect(&addr).await.expect("connect");
    let request = head("good", "content-length: 4\r\n");
    let mut cut_off = false;
    let started = Instant::now();
    for byte in request.as_bytes() {
        if slow.write_all(&[*byte]).await.is_err() {
            cut_off = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        if started.elapsed() > limit {
            break;
        }
    }
    if !cut_off {
        let (response, closed) = read_until_closed(&mut slow, limit).await;
        cut_off = closed && status_of(&response).is_none_or(|s| s != 200);
    }
    assert!(cut_off, "a client dribbling headers was not cut off");

    // Sends its headers, then only part of the body.
    let mut partial = head("good", "content-length: 100\r\nconnection: close\r\n").into_bytes();
    partial.extend_from_slice(b"only ten b");
    let (response, closed) = raw_exchange(&addr, &partial, limit).await;
    assert!(closed, "a stalled body is given up");
    assert_eq!(status_of(&response), Some(408), "{response}");

    sandbox.assert_good_still_works("after-slow-clients").await;
}

#[tokio::test]
async fn requests_beyond_max_in_flight_get_503_with_retry_after() {
    let sandbox = Sandbox::start(
        &[
            channel("spin", "loop").option("call_timeout_ms = 3000"),
            channel("good", "well-behaved"),
        ],
        "max_in_flight = 1",
        &[],
    );
    // One spinning call holds the only slot for its whole deadline. It is sent
    // again if it was itself refused (the slot was not free yet).
    let spin = || {
        let http = sandbox.http.clone();
        let url = sandbox.daemon.url("/webhooks/spin");
        tokio::spawn(async move {
            http.post(url)
                .header("x-test-token", TOKEN)
                .body("spin-1")
                .send()
                .await
                .map(|r| r.status().as_u16())
        })
    };
    let mut spinning = spin();
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if !spinning.is_finished() {
            break;
        }
        spinning = spin();
    }
    let mut refused = None;
    let mut n = 0;
    while refused.is_none() && !spinning.is_finished() {
        n += 1;
        let answer = sandbox.post("good", &format!("overload-{n}")).await;
        if answer.status == 503 {
            refused = Some(answer);
        } else {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let Some(refused) = refused else {
        panic!(
            "no request was refused while the only slot was busy ({n} tried, spin: {:?}); log:\n{}",
            spinning.await,
            sandbox.daemon.log()
        );
    };
    assert_eq!(
        refused.header("retry-after"),
        Some("5"),
        "a 503 says when to come back: {refused:?}"
    );
    let spun = spinning.await.expect("join").expect("spinning request");
    assert_eq!(
        spun, 200,
        "the spinning delivery is dead-lettered and acknowledged"
    );
    assert!(sandbox.daemon.log().contains("overloaded"));

    // Once the slot is free again, requests are served.
    sandbox.assert_good_still_works("after-overload").await;
    assert_eq!(sandbox.dead_letters_of("spin").len(), 1);
}

/// A spinning guest yields to the daemon's async runtime at every epoch tick, so
/// more spinning calls than the daemon has threads do not stop it: another
/// instance's webhook is answered while they all still spin.
#[tokio::test]
async fn spinning_guests_do_not_hold_the_runtime_while_they_spin() {
    let sandbox = Sandbox::start(
        &[
            channel("spin", "loop").option("call_timeout_ms = 5000"),
            channel("good", "well-behaved"),
        ],
        "",
        &[],
    );
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let spinning: Vec<_> = (0..threads * 2)
        .map(|i| {
            let http = sandbox.http.clone();
            let url = sandbox.daemon.url("/webhooks/spin");
            tokio::spawn(async move {
                http.post(url)
                    .header("x-test-token", TOKEN)
                    .body(format!("spin-{i}"))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            })
        })
        .collect();
    // Every spinning call has passed verification, the last step before its guest
    // runs, before the good request is sent.
    let metrics = sandbox.daemon.url("/metrics");
    let verified = format!(
        "switchboard_deliveries_verified_total{{instance=\"spin\"}} {}",
        spinning.len()
    );
    let mut all_spinning = false;
    for _ in 0..100 {
        let text = match sandbox.http.get(&metrics).send().await {
            Ok(response) => response.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if text.lines().any(|line| line == verified) {
            all_spinning = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        all_spinning,
        "the spinning calls did not all start; log:\n{}",
        sandbox.daemon.log()
    );

    let answer = sandbox.post("good", "while-others-spin").await;

    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(
        spinning.iter().all(|call| !call.is_finished()),
        "the good webhook was answered only after spinning calls ended; log:\n{}",
        sandbox.daemon.log()
    );
    for call in spinning {
        let status = call.await.expect("join").expect("spinning request");
        assert_eq!(
            status, 200,
            "a spinning delivery is dead-lettered and acknowledged"
        );
    }
}

#[tokio::test]
async fn requests_that_cannot_verify_are_refused_before_their_body_is_read() {
    let sandbox = Sandbox::start(&[channel("good", "well-behaved")], "", &[]);
    let addr = sandbox.addr();
    // A wrong token and a declared 60 KB body that never comes: the header token
    // decides, so the answer does not wait for the body (whose timeout is 30 s).
    let request = "POST /webhooks/good HTTP/1.1\r\nhost: switchboard\r\nx-test-token: wrong\r\n\
                   content-length: 60000\r\n\r\n";
    let started = Instant::now();
    let (response, _) = raw_exchange(&addr, request.as_bytes(), Duration::from_secs(5)).await;
    assert_eq!(status_of(&response), Some(401), "{response:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answered only after the body timeout"
    );
    sandbox.assert_good_still_works("after-unsigned").await;
}

#[tokio::test]
async fn bodies_in_memory_share_one_budget() {
    // 1 MiB for every body at once: 17 stalled uploads declaring 60 KiB each take
    // 1020 KiB of it, so the next body that would pass the budget is refused at once,
    // before a byte of it is read, and a small one still fits.
    let sandbox = Sandbox::start(
        &[channel("good", "well-behaved")],
        "body_budget_mb = 1\nmax_in_flight = 64",
        &[],
    );
    let addr = sandbox.addr();
    let mut stalled = Vec::new();
    for _ in 0..17 {
        let mut stream = TcpStream::connect(&addr).await.expect("connect");
        stream
            .write_all(head("good", "content-length: 61440\r\n").as_bytes())
            .await
            .expect("headers");
        stream.write_all(b"partial").await.expect("some body");
        stalled.push(stream);
    }
    // Every stalled upload has taken its share before the next body is tried.
    let metrics = sandbox.daemon.url("/metrics");
    let reserved = format!("switchboard_body_budget_bytes_in_use {}", 17 * 61_440);
    let mut all_reserved = false;
    for _ in 0..200 {
        let text = match sandbox.http.get(&metrics).send().await {
            Ok(response) => response.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if text.lines().any(|line| line == reserved) {
            all_reserved = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(
        all_reserved,
        "the stalled uploads did not all take their share"
    );
    let over = head("good", "content-length: 65536\r\n");
    let mut refused = None;
    for _ in 0..50 {
        let (response, _) = raw_exchange(&addr, over.as_bytes(), Duration::from_secs(3)).await;
        if status_of(&response) == Some(503) {
            refused = Some(response);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let refused = refused.unwrap_or_else(|| {
        panic!(
            "a body past the budget was not refused; log:\n{}",
            sandbox.daemon.log()
        )
    });
    assert!(
        refused.to_ascii_lowercase().contains("retry-after: 5"),
        "{refused}"
    );
    assert!(
        sandbox
            .daemon
            .log_shows("request bodies in memory are at server.body_budget_mb")
            .await,
        "log:\n{}",
        sandbox.daemon.log()
    );
    // A small body fits in what is left.
    sandbox.assert_good_still_works("within-budget").await;
    // Once the stalled uploads are gone, their share comes back.
    drop(stalled);
    let mut admitted = false;
    for attempt in 0..50 {
        let body = format!("after-budget-{attempt}{}", " ".repeat(60_000));
        if sandbox.post("good", &body).await.status == 200 {
            admitted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(admitted, "the budget was not given back");
}

#[tokio::test]
async fn a_client_that_never_reads_its_responses_loses_its_connection() {
    // One connection at a time: while a client that pipelines requests and reads
    // nothing holds it, nobody else is served, until the write timeout closes it.
    // The header timeout, which also closes idle connections, is out of the way.
    let sandbox = Sandbox::start(
        &[
            channel("good", "well-behaved"),
            channel("big", "big-answer"),
        ],
        "max_connections = 1\nwrite_timeout_ms = 1000\nheader_timeout_ms = 120000",
        &[],
    );
    let addr: std::net::SocketAddr = sandbox.addr().parse().expect("address");
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    // A small receive window, so the server's writes block soon.
    socket.set_recv_buffer_size(4096).expect("buffer size");
    let stream = socket.connect(addr).await.expect("connect");
    let (_unread, mut writer) = stream.into_split();
    // Twenty answers of 1 MiB each: more than any socket buffers hold.
    let one = format!(
        "POST /webhooks/big HTTP/1.1\r\nhost: switchboard\r\nx-test-token: {TOKEN}\r\n\
         content-length: 1\r\n\r\nx"
    );
    let pipelined = one.repeat(20);
    let flood = tokio::spawn(async move {
        // Fails once the server gives up on the connection; that is the point.
        let _ = writer.write_all(pipelined.as_bytes()).await;
        writer
    });

    let started = Instant::now();
    let answer = sandbox.post("good", "after-the-silent-reader").await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "served only after {:?}",
        started.elapsed()
    );
    assert!(
        sandbox
            .daemon
            .log_shows("closed a connection: the client did not read its responses in time")
            .await,
        "log:\n{}",
        sandbox.daemon.log()
    );
    flood.abort();
}
