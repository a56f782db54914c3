//! The compiled-code cache: written on the first start, used on the next, and
//! ignored (then replaced) when an entry is unusable or was not written by this
//! data directory's daemon.

use std::time::Duration;

use super::support::{Registry, first_party, hostile, plain, sha256};
use super::{hostile_daemon, install, post};
use crate::harness::{TestDaemon, eventually};

pub(super) fn cache_entries(daemon: &TestDaemon) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(daemon.dir.path().join("data/cache"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .collect()
}

/// The `compiled_from_cache` values of the "channel instance ready" lines, once
/// there are `starts` of them (the log is read from a pipe, a little behind).
async fn cache_flags(daemon: &TestDaemon, starts: usize) -> Vec<String> {
    let flags = || -> Vec<String> {
        plain(&daemon.log())
            .lines()
            .filter(|l| l.contains("channel instance ready"))
            .filter_map(|l| {
                l.split_whitespace()
                    .find_map(|f| f.strip_prefix("compiled_from_cache="))
                    .map(str::to_owned)
            })
            .collect()
    };
    eventually(Duration::from_secs(10), || {
        (flags().len() >= starts).then_some(())
    })
    .await;
    flags()
}

/// A daemon with `hostile` installed from a fresh registry.
fn installed_hostile() -> TestDaemon {
    let (manifest, wasm) = hostile();
    let (_registry, index) = Registry::new().add(&manifest, &wasm).build();
    let daemon = hostile_daemon();
    let (ok, out, err) = install(&daemon, "hostile", &index);
    assert!(ok, "{out}\n{err}");
    daemon
}

#[tokio::test]
async fn compiled_code_is_cached_and_reused_on_the_next_start() {
    let mut daemon = installed_hostile();
    daemon.start();
    assert_eq!(
        cache_flags(&daemon, 1).await,
        ["false"],
        "first start compiles"
    );
    let entries = cache_entries(&daemon);
    assert_eq!(entries.len(), 1, "{entries:?}");
    let digest = sha256(&hostile().1);
    let name = entries[0]
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert!(
        name.starts_with(&digest),
        "keyed by the component digest: {name}"
    );
    assert!(daemon.stop().success());

    daemon.start();
    assert_eq!(
        cache_flags(&daemon, 2).await,
        ["false", "true"],
        "second start uses the cache"
    );
    assert_eq!(post(&daemon, "cached-1").await, (200, "stored".to_owned()));
}

#[tokio::test]
async fn unreadable_cache_entry_is_ignored_and_replaced() {
    let mut daemon = installed_hostile();
    daemon.start();
    assert!(daemon.stop().success());
    let entries = cache_entries(&daemon);
    assert_eq!(entries.len(), 1, "{entries:?}");
    let bytes = std::fs::read(&entries[0]).expect("cache entry");
    std::fs::write(&entries[0], &bytes[..bytes.len() / 2]).expect("truncate");

    daemon.start();
    assert_eq!(
        cache_flags(&daemon, 2).await,
        ["false", "false"],
        "the bad entry is not used"
    );
    assert!(
        plain(&daemon.log()).contains("ignoring unusable compiled-code cache entry")
            || plain(&daemon.log()).contains("fails authentication"),
        "log:\n{}",
        daemon.log()
    );
    assert_eq!(
        post(&daemon, "after-corruption").await,
        (200, "stored".to_owned())
    );
    assert!(daemon.stop().success());

    daemon.start();
    assert_eq!(
        cache_flags(&daemon, 3).await,
        ["false", "false", "true"],
        "the entry was rewritten"
    );
}

#[tokio::test]
async fn cache_entry_with_damaged_contents_is_not_executed() {
    let mut daemon = installed_hostile();
    daemon.start();
    assert!(daemon.stop().success());
    let entries = cache_entries(&daemon);
    assert_eq!(entries.len(), 1, "{entries:?}");
    // A few flipped bits in the middle, as a bad disk sector would leave them: the
    // file still parses, but its code is not what was compiled.
    let mut bytes = std::fs::read(&entries[0]).expect("cache entry");
    let at = bytes.len() / 2;
    for b in &mut bytes[at..at + 4] {
        *b ^= 0xff;
    }
    std::fs::write(&entries[0], &bytes).expect("damage");

    daemon.start();
    assert_eq!(
        cache_flags(&daemon, 2).await,
        ["false", "false"],
        "a damaged entry must be recompiled, not run; log:\n{}",
        daemon.log()
    );
    assert_eq!(
        post(&daemon, "after-damage").await,
        (200, "stored".to_owned())
    );
}

/// The compiled code of the first-party WhatsApp channel, as another data directory's
/// daemon (run by this same binary) cached it: a valid entry with an intact checksum,
/// signed with that daemon's key.
async fn whatsapp_compiled_elsewhere() -> Vec<u8> {
    let (manifest, wasm) = first_party("whatsapp");
    let (_registry, index) = Registry::new().add(&manifest, &wasm).build();
    let mut other = TestDaemon::new(
        r#"
[server]
listen = "127.0.0.1:0"
data_dir = "data"

[channels.wa]
component = "whatsapp"
secrets = { app_secret = "a", verify_token = "b", access_token = "c" }
"#,
    );
    let (ok, out, err) = install(&other, "whatsapp", &index);
    assert!(ok, "{out}\n{err}");
    other.start();
    assert_eq!(cache_flags(&other, 1).await, ["false"]);
    assert!(other.stop().success());
    let entries = cache_entries(&other);
    assert_eq!(entries.len(), 1, "{entries:?}");
    std::fs::read(&entries[0]).expect("cache entry")
}

#[tokio::test]
async fn cache_entry_planted_without_the_daemons_key_is_recompiled_not_run() {
    let planted = whatsapp_compiled_elsewhere().await;
    let mut daemon = installed_hostile();
    daemon.start();
    assert!(daemon.stop().success());
    let key = daemon.dir.path().join("data/cache.key");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&key)
            .expect("the daemon keeps a cache key")
            .permissions(),
    );
    assert_eq!(
        mode & 0o777,
        0o600,
        "the key is private to the daemon's user"
    );
    let entries = cache_entries(&daemon);
    assert_eq!(entries.len(), 1, "{entries:?}");
    // Native code of another component, compiled by this very binary for this very
    // engine, under the name of hostile's entry: everything checks out except that
    // this daemon did not write it.
    std::fs::write(&entries[0], &planted).expect("plant");

    daemon.start();
    assert_eq!(
        cache_flags(&daemon, 2).await,
        ["false", "false"],
        "a planted entry must be recompiled, not run; log:\n{}",
        daemon.log()
    );
    assert!(
        plain(&daemon.log()).contains("fails authentication"),
        "the log says why the entry was not used:\n{}",
        daemon.log()
    );
    assert_eq!(
        post(&daemon, "after-plant").await,
        (200, "stored".to_owned()),
        "the webhook runs hostile, not the planted code"
    );
    assert!(daemon.stop().success());

    daemon.start();
    assert_eq!(
        cache_flags(&daemon, 3).await,
        ["false", "false", "true"],
        "the entry was rewritten with the daemon's key"
    );
}
