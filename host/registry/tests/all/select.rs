//! Choosing which version to install: requirements and WIT compatibility.

use semver::Version;
use switchboard_registry::RegistryError;

use crate::support::{LocalRegistry, Published, files_under, install_spec};

fn three_versions() -> LocalRegistry {
    LocalRegistry::new(&[
        Published::new("whatsapp", "0.1.0", "0.1.0"),
        Published::new("whatsapp", "0.2.0", "0.1.0"),
        Published::new("whatsapp", "0.1.3", "0.1.0"),
    ])
}

async fn installed_version(registry: &LocalRegistry, spec: &str) -> Version {
    let data = tempfile::tempdir().expect("data dir");
    install_spec(&registry.load().await, spec, data.path())
        .await
        .expect(spec)
        .component
        .version
}

#[tokio::test]
async fn a_minor_requirement_picks_the_newest_patch_of_that_minor() {
    let registry = three_versions();
    assert_eq!(
        installed_version(&registry, "whatsapp@0.1").await,
        Version::new(0, 1, 3)
    );
}

#[tokio::test]
async fn no_requirement_picks_the_newest_release() {
    let registry = three_versions();
    assert_eq!(
        installed_version(&registry, "whatsapp").await,
        Version::new(0, 2, 0)
    );
}

#[tokio::test]
async fn an_exact_requirement_picks_that_version() {
    let registry = three_versions();
    assert_eq!(
        installed_version(&registry, "whatsapp@=0.1.0").await,
        Version::new(0, 1, 0)
    );
}

#[tokio::test]
async fn an_unmatched_requirement_lists_what_is_available() {
    let registry = three_versions();
    let data = tempfile::tempdir().expect("data dir");
    let err = install_spec(&registry.load().await, "whatsapp@0.3", data.path())
        .await
        .expect_err("no 0.3");
    assert!(
        matches!(err, RegistryError::NoMatchingVersion { .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("^0.3") && text.contains("0.1.0, 0.1.3, 0.2.0"),
        "{text}"
    );
}

#[tokio::test]
async fn an_incompatible_wit_is_refused_naming_both_versions() {
    let registry = LocalRegistry::new(&[Published::new("whatsapp", "0.3.0", "0.3.0")]);
    let data = tempfile::tempdir().expect("data dir");

    let err = install_spec(&registry.load().await, "whatsapp", data.path())
        .await
        .expect_err("wit 0.3.0 on a 0.1 host");

    assert_eq!(
        err.to_string(),
        "whatsapp 0.3.0 targets switchboard:channel@0.3.0; this host supports 0.1.x (up to 0.1.0)"
    );
    assert_eq!(files_under(data.path()), Vec::<String>::new());
}

#[tokio::test]
async fn the_newest_compatible_version_wins_over_a_newer_incompatible_one() {
    let registry = LocalRegistry::new(&[
        Published::new("whatsapp", "0.1.0", "0.1.0"),
        Published::new("whatsapp", "0.2.0", "0.2.0"),
    ]);
    assert_eq!(
        installed_version(&registry, "whatsapp").await,
        Version::new(0, 1, 0)
    );
}

#[tokio::test]
async fn a_newer_wit_patch_than_the_host_is_incompatible() {
    let registry = LocalRegistry::new(&[Published::new("whatsapp", "0.1.1", "0.1.1")]);
    let data = tempfile::tempdir().expect("data dir");
    let err = install_spec(&registry.load().await, "whatsapp", data.path())
        .await
        .expect_err("wit 0.1.1 on a 0.1.0 host");
    assert!(
        matches!(err, RegistryError::IncompatibleWit { ref wit, .. } if *wit == Version::new(0, 1, 1)),
        "{err:?}"
    );
}
