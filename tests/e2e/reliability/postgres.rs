//! PostgreSQL as the store: the schema is applied by `switchboard migrate` and checked
//! before the daemon listens, one node serves a database at a time, and a node cut
//! off from its database refuses deliveries (503) instead of acknowledging them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use super::rig::{Config, Rig, fresh_postgres_url};
use crate::harness::TestDaemon;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn serve_refuses_an_unmigrated_database_and_migrate_brings_it_up_once() {
    let url = fresh_postgres_url().await;
    let config = Config::default().postgres(&url);
    let mut rig = Rig::start(config).await;
    // Rig::start migrated the database; a second run has nothing to do.
    let (ok, out, err) = rig.daemon.cli(&["migrate"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("already at version 1"), "{out}");
    rig.daemon.kill9();

    let fresh = fresh_postgres_url().await;
    let daemon = TestDaemon::new(&format!(
        "[server]\nlisten = \"127.0.0.1:0\"\ndata_dir = \"data\"\n\n\
         [store]\nkind = \"postgres\"\nurl = \"{fresh}\"\n\n\
         [agent]\nkind = \"echo\"\n\n\
         [channels.wa]\ncomponent = \"whatsapp\"\n\
         secrets = {{ app_secret = \"s\", verify_token = \"v\", access_token = \"t\" }}\n"
    ));
    daemon.install("whatsapp");
    let (ok, out, err) = daemon.cli(&["serve"]);
    assert!(!ok, "serve started on an unmigrated database: {out}");
    assert!(
        err.contains("schema version 0") && err.contains("needs version 1"),
        "the refusal names both versions: {err}"
    );
    assert!(err.contains("switchboard migrate"), "and what to do: {err}");
    assert!(
        !out.contains("listening on"),
        "it must refuse before listening: {out}"
    );

    let (ok, out, err) = daemon.cli(&["migrate"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("from version 0 to 1"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_second_node_on_the_same_database_is_refused_until_the_first_is_gone() {
    let url = fresh_postgres_url().await;
    let mut first = Rig::start(Config::default().postgres(&url)).await;
    first.post_ok("wamid.NODE-1", "16505551234", "hello").await;

    let second = Rig::config_daemon(Config::default().postgres(&url), &first);
    let (ok, out, err) = second.cli(&["serve"]);
    assert!(!ok, "a second node served the same database: {out}");
    assert!(err.contains("another switchboard node"), "{err}");
    assert!(!out.contains("listening on"), "{out}");

    // kill -9 ends the first node's session, and with it its hold on the database.
    first.daemon.kill9();
    let mut second = second;
    second.start();
    let stored = second.messages();
    assert_eq!(
        stored.len(),
        1,
        "the second node sees what the first stored"
    );
    second.kill9();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_cut_off_from_its_database_answers_503_and_loses_nothing() {
    let url = fresh_postgres_url().await;
    let proxy = Proxy::start(&url).await;
    let rig = Rig::start(Config::default().postgres(&proxy.url)).await;
    rig.post_ok("wamid.CUT-0", "16505551234", "before").await;
    rig.wait_replies_sent(1).await;

    proxy.cut();
    let mut refused = 0;
    for i in 1..=3 {
        let resp = rig
            .post(&format!("wamid.CUT-{i}"), "16505551234", "during")
            .await
            .expect("post");
        assert_eq!(
            resp.status().as_u16(),
            503,
            "a delivery was answered while the database was unreachable; log:\n{}",
            rig.log()
        );
        assert!(
            resp.headers().contains_key("retry-after"),
            "503 without Retry-After"
        );
        refused += 1;
    }
    assert_eq!(refused, 3);

    proxy.restore();
    // The platform redelivers what got 503.
    for i in 1..=3 {
        let id = format!("wamid.CUT-{i}");
        let mut status = 0;
        for _ in 0..40 {
            status = rig
                .post(&id, "16505551234", "during")
                .await
                .expect("post")
                .status()
                .as_u16();
            if status == 200 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        assert_eq!(
            status,
            200,
            "{id} after the database came back; log:\n{}",
            rig.log()
        );
    }
    let stored = rig.stored();
    assert_eq!(stored.len(), 4, "{stored:?}");
    assert!(stored.values().all(|&rows| rows == 1), "{stored:?}");
    rig.wait_replies_sent(4).await;
}

/// A TCP proxy in front of the test cluster that can drop every connection and refuse
/// new ones, as a network partition between node and database would.
struct Proxy {
    url: String,
    open: Arc<AtomicBool>,
    connections: Arc<std::sync::Mutex<JoinSet<()>>>,
}

impl Proxy {
    async fn start(url: &str) -> Proxy {
        // postgres://user@HOST:PORT/db?...: the proxy takes HOST:PORT's place.
        let after_at = url.split_once('@').expect("a URL with a user").1;
        let target = after_at
            .split(['/', '?'])
            .next()
            .expect("host and port")
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let local = listener.local_addr().expect("addr").to_string();
        let proxied = url.replacen(&target, &local, 1);
        let open = Arc::new(AtomicBool::new(true));
        let connections = Arc::new(std::sync::Mutex::new(JoinSet::new()));
        let (accepting, tasks) = (open.clone(), connections.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !accepting.load(Ordering::SeqCst) {
                    continue; // dropped: the client sees the connection close
                }
                let target = target.clone();
                tasks.lock().expect("lock").spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&target).await {
                        // silent-ok: either side closing ends the copy.
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Proxy {
            url: proxied,
            open,
            connections,
        }
    }

    /// Drops every connection and refuses new ones.
    fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        self.connections.lock().expect("lock").abort_all();
    }

    fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}
