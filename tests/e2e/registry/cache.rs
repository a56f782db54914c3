//! The compiled-code cache: written on the first start, used on the next, and
//! ignored (then replaced) when an entry is unusable.

use std::time::Duration;

use super::support::{Registry, hostile, plain, sha256};
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
            || plain(&daemon.log()).contains("ignoring damaged compiled-code cache entry"),
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
