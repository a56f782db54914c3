//! PostgreSQL as the store: the schema is applied by `switchboard migrate` and checked
//! before the daemon listens, one node serves a database at a time, and a node cut
//! off from its database refuses deliveries (503) instead of acknowledging them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use std::collections::BTreeMap;

use super::rig::{
    Burst, Config, Rig, Seen, deliver_until_acknowledged, fresh_postgres_url, messages,
    somewhere_in,
};
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

/// Nodes of one deployment: the first rig's daemon and `extra` more on its database
/// and its Graph API, each with its own data directory.
async fn nodes(config: impl Fn() -> Config, extra: usize) -> (Rig, Vec<TestDaemon>) {
    let rig = Rig::start(config()).await;
    let mut others = Vec::new();
    for _ in 0..extra {
        let mut node = Rig::config_daemon(config(), &rig);
        node.start();
        others.push(node);
    }
    (rig, others)
}

/// Per conversation, the stored ids of the messages the platform got replies to, in
/// the order it got them. Deliveries of one conversation race each other across
/// nodes, so the order to keep is the order they were stored in: the ids.
fn replies_by_conversation(rig: &Rig) -> BTreeMap<String, Vec<i64>> {
    let stored: BTreeMap<String, (String, i64)> = rig
        .daemon
        .messages()
        .iter()
        .map(|m| {
            let text = m["text"].as_str().expect("text").to_owned();
            let conversation = m["conversation_id"].as_str().expect("conversation");
            (
                text,
                (conversation.to_owned(), m["id"].as_i64().expect("id")),
            )
        })
        .collect();
    let mut by: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for text in rig.api.delivered() {
        // The echo agent answers with the message's own text.
        let (conversation, id) = stored.get(&text).expect("a reply to a stored message");
        by.entry(conversation.clone()).or_default().push(*id);
    }
    by
}

const CONVERSATIONS: usize = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_nodes_behind_a_round_robin_proxy_store_and_answer_a_burst_once_in_order() {
    let url = fresh_postgres_url().await;
    let (rig, others) = nodes(|| Config::default().postgres(&url), 2).await;
    let mut targets = vec![rig.daemon.url("/")];
    targets.extend(others.iter().map(|n| n.url("/")));
    let proxy = RoundRobin::start(&targets).await;
    // A new connection per request, so the proxy spreads requests, not connections.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let all = messages("rr", 240, CONVERSATIONS);
    // Three daemons and the database share the test machine's cores: a node whose
    // commit is not durable within `persist_timeout_ms` answers 503, and the platform
    // sends the delivery again, to whichever node the proxy picks.
    let refused =
        deliver_until_acknowledged(&http, &proxy.url("/webhooks/wa"), all.clone(), 24).await;
    eprintln!(
        "{refused} of {} posts refused with 503 and sent again",
        all.len()
    );
    assert_eq!(
        proxy.served(),
        all.len() + refused,
        "one connection per delivery"
    );
    let stored = rig.stored();
    assert_eq!(stored.len(), all.len());
    assert!(
        stored.values().all(|&rows| rows == 1),
        "a message was stored twice"
    );

    rig.wait_replies_sent(all.len()).await;
    let delivered = rig.api.delivered();
    assert_eq!(
        delivered.len(),
        all.len(),
        "each message answered once: {delivered:?}"
    );
    for (conversation, order) in replies_by_conversation(&rig) {
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(order, sorted, "replies of {conversation} out of order");
    }
    assert!(proxy.spread() >= 3, "the proxy used every node");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_of_one_node_mid_burst_loses_nothing_and_the_survivor_finishes_its_work() {
    let url = fresh_postgres_url().await;
    let config = || {
        Config::default()
            .postgres(&url)
            .store_extra("lease_seconds = 5")
    };
    let (mut rig, mut others) = nodes(config, 1).await;
    let survivor = others.remove(0);
    let all = messages("node", 200, CONVERSATIONS);
    // The victim gets the burst; the survivor gets nothing directly.
    let burst = Burst::start(&rig, all.clone(), 16, somewhere_in(30, 150));
    tokio::time::timeout(Duration::from_secs(60), burst.reached())
        .await
        .unwrap_or_else(|_| panic!("the burst stalled; log:\n{}", rig.log()));
    rig.daemon.kill9();
    let seen = burst.finish().await;
    let acked: Vec<&String> = seen
        .iter()
        .filter(|(_, s)| *s == Seen::Status(200))
        .map(|(id, _)| id)
        .collect();
    // The platform redelivers what it has no 200 for, to whichever node answers.
    let http = reqwest::Client::new();
    let again: Vec<_> = all
        .iter()
        .filter(|(id, _, _)| !acked.contains(&id))
        .cloned()
        .collect();
    deliver_until_acknowledged(&http, &survivor.url("/webhooks/wa"), again, 16).await;

    let stored: BTreeMap<String, usize> = {
        let mut rows = BTreeMap::new();
        for m in survivor.messages() {
            *rows
                .entry(m["external_id"].as_str().expect("id").to_owned())
                .or_insert(0) += 1;
        }
        rows
    };
    assert_eq!(stored.len(), all.len(), "an acknowledged message was lost");
    assert!(stored.values().all(|&rows| rows == 1));

    // The survivor takes the dead node's lanes over once their leases run out.
    let replies = crate::harness::eventually(Duration::from_secs(60), || {
        let replies = survivor.replies();
        (replies.len() == all.len() && replies.iter().all(|r| r["status"] == "sent"))
            .then_some(replies)
    })
    .await
    .unwrap_or_else(|| {
        panic!(
            "the survivor did not finish the work; log:\n{}",
            survivor.log()
        )
    });
    assert_eq!(replies.len(), all.len());
    let mut delivered: BTreeMap<String, usize> = BTreeMap::new();
    for text in rig.api.delivered() {
        *delivered.entry(text).or_insert(0) += 1;
    }
    for (_, _, text) in &all {
        assert!(delivered.contains_key(text), "no reply to {text:?}");
    }
    let repeated: usize = delivered.values().map(|n| n - 1).sum();
    eprintln!(
        "kill -9 after {} acknowledgements; {repeated} replies sent twice",
        acked.len()
    );
    // Only replies in flight at the kill (at most one per conversation) may go twice.
    assert!(repeated <= CONVERSATIONS, "{repeated} replies sent twice");
    for (conversation, order) in replies_by_conversation(&rig) {
        let mut firsts = Vec::new();
        for i in order {
            if !firsts.contains(&i) {
                firsts.push(i);
            }
        }
        let mut sorted = firsts.clone();
        sorted.sort_unstable();
        assert_eq!(firsts, sorted, "replies of {conversation} out of order");
    }
    rig.restart();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_delivery_sent_to_two_nodes_at_once_is_stored_once() {
    let url = fresh_postgres_url().await;
    let (rig, others) = nodes(|| Config::default().postgres(&url), 1).await;
    let http = reqwest::Client::new();
    for round in 0..20 {
        let id = format!("wamid.TWICE-{round}");
        let one = vec![(
            id.clone(),
            "16505550001".to_owned(),
            format!("twice {round}"),
        )];
        let a = Burst::start_at(&http, &rig.daemon.url("/webhooks/wa"), one.clone(), 1, 1);
        let b = Burst::start_at(&http, &others[0].url("/webhooks/wa"), one, 1, 1);
        let (a, b) = (a.finish().await, b.finish().await);
        assert_eq!(a[0].1, Seen::Status(200), "{id} at the first node");
        assert_eq!(b[0].1, Seen::Status(200), "{id} at the second node");
    }
    let stored = rig.stored();
    assert_eq!(stored.len(), 20);
    assert!(stored.values().all(|&rows| rows == 1), "{stored:?}");
    rig.wait_replies_sent(20).await;
    assert_eq!(rig.api.delivered().len(), 20, "each answered once");
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

/// A TCP proxy that hands each new connection to the next of its targets in turn, as
/// a load balancer in front of the nodes would.
struct RoundRobin {
    addr: String,
    counts: Arc<std::sync::Mutex<Vec<usize>>>,
}

impl RoundRobin {
    async fn start(urls: &[String]) -> RoundRobin {
        let targets: Vec<String> = urls
            .iter()
            .map(|u| {
                u.trim_start_matches("http://")
                    .split('/')
                    .next()
                    .expect("host:port")
                    .to_owned()
            })
            .collect();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        let counts = Arc::new(std::sync::Mutex::new(vec![0; targets.len()]));
        let seen = counts.clone();
        tokio::spawn(async move {
            let mut next = 0;
            while let Ok((mut inbound, _)) = listener.accept().await {
                let target = targets[next % targets.len()].clone();
                seen.lock().expect("lock")[next % targets.len()] += 1;
                next += 1;
                tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&target).await {
                        // silent-ok: either side closing ends the copy.
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        RoundRobin { addr, counts }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Connections served in all.
    fn served(&self) -> usize {
        self.counts.lock().expect("lock").iter().sum()
    }

    /// Targets that got at least one connection.
    fn spread(&self) -> usize {
        self.counts
            .lock()
            .expect("lock")
            .iter()
            .filter(|&&n| n > 0)
            .count()
    }
}

/// A PostgreSQL cluster of the test's own, so stopping it disturbs no other test.
struct OwnCluster {
    dir: tempfile::TempDir,
    url: String,
}

impl OwnCluster {
    fn start() -> OwnCluster {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = std::process::Command::new(Self::script())
            .arg("start")
            .arg(dir.path().join("cluster"))
            .output()
            .expect("run the cluster script");
        assert!(
            out.status.success(),
            "cannot start a cluster: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let url = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        OwnCluster { dir, url }
    }

    fn script() -> std::path::PathBuf {
        crate::harness::repo_root().join("scripts/postgres-test-cluster")
    }

    fn run(&self, verb: &str) {
        let status = std::process::Command::new(Self::script())
            .arg(verb)
            .arg(self.dir.path().join("cluster"))
            .status()
            .expect("run the cluster script");
        assert!(status.success(), "cluster {verb} failed");
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        // silent-ok: a cluster already stopped has nothing to stop.
        let _ = std::process::Command::new(Self::script())
            .arg("stop")
            .arg(self.dir.path().join("cluster"))
            .status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgresql_restarted_under_load_means_503s_then_recovery_with_nothing_lost() {
    let cluster = OwnCluster::start();
    let rig = Rig::start(Config::default().postgres(&cluster.url)).await;
    let all = messages("restart", 300, CONVERSATIONS);
    let (before, rest) = all.split_at(100);
    deliver_until_acknowledged(
        &rig.http,
        &rig.daemon.url("/webhooks/wa"),
        before.to_vec(),
        8,
    )
    .await;

    // The database goes away in the middle of the traffic and comes back.
    let burst = Burst::start(&rig, rest.to_vec(), 8, 20);
    burst.reached().await;
    cluster.run("stop");
    tokio::time::sleep(Duration::from_secs(2)).await;
    cluster.run("resume");
    let seen = burst.finish().await;
    let refused = seen.iter().filter(|(_, s)| *s != Seen::Status(200)).count();
    assert!(
        refused > 0,
        "no delivery was refused while the database was down"
    );
    for (id, s) in &seen {
        assert!(
            matches!(s, Seen::Status(200 | 503)),
            "{id}: {s:?}; only 200 or 503, never an acknowledgement of nothing"
        );
    }

    // The platform redelivers what it has no 200 for.
    let again: Vec<_> = rest
        .iter()
        .filter(|(id, _, _)| seen.iter().any(|(i, s)| i == id && *s != Seen::Status(200)))
        .cloned()
        .collect();
    deliver_until_acknowledged(&rig.http, &rig.daemon.url("/webhooks/wa"), again, 8).await;
    let stored = rig.stored();
    assert_eq!(stored.len(), all.len(), "a message was lost");
    assert!(
        stored.values().all(|&rows| rows == 1),
        "a message was stored twice"
    );
    rig.wait_replies_sent(all.len()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn check_compares_a_node_with_the_nodes_serving_the_database() {
    let url = fresh_postgres_url().await;
    let (rig, others) = nodes(|| Config::default().postgres(&url), 1).await;
    let (ok, out, err) = others[0].cli(&["check"]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("store: PostgreSQL, schema up to date"),
        "{out}"
    );
    assert!(!out.contains("warning"), "identical nodes: {out}");

    // A node that would also run the Telegram channel differs from the running ones.
    let extra = Config::default().postgres(&url);
    let different = Rig::config_daemon(extra, &rig);
    different.install("telegram");
    let config = std::fs::read_to_string(different.config_path()).expect("config");
    different.reconfigure(&format!(
        "{config}\n[channels.tg]\ncomponent = \"telegram\"\n\
         secrets = {{ webhook_secret = \"tg-secret-1234\", bot_token = \"123:abc\" }}\n\
         [channels.tg.access]\ndm = \"open\"\n"
    ));
    let (ok, out, err) = different.cli(&["check"]);
    assert!(ok, "a difference is a warning, not an error: {out}{err}");
    assert!(out.contains("warning: node"), "{out}");
    assert!(
        out.contains("telegram"),
        "the warning shows what differs: {out}"
    );

    // And a second serve on a data directory in use is refused, naming it.
    let (ok, out, err) = rig.daemon.cli(&["serve"]);
    assert!(!ok, "{out}");
    assert!(
        err.contains("another switchboard serve is running on"),
        "{err}"
    );
}
