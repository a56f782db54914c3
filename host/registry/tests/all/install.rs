//! Installing from local registries: layout, integrity, upgrades, uninstall.

use semver::Version;
use switchboard_registry::{
    InstallOutcome, PlainHttp, RegistryError, Sha256Digest, Source, installed, load_index,
    uninstall,
};

use crate::support::{LocalRegistry, Published, files_under, install_spec};

#[tokio::test]
async fn installs_from_a_local_path_into_the_documented_layout() {
    let published = [Published::new("whatsapp", "0.1.0", "0.1.0")];
    let registry = LocalRegistry::new(&published);
    let data = tempfile::tempdir().expect("data dir");

    let report = install_spec(&registry.load().await, "whatsapp", data.path())
        .await
        .expect("install");

    let sha = Sha256Digest::of(&published[0].bytes);
    assert_eq!(report.outcome, InstallOutcome::Installed);
    assert_eq!(report.component.version, Version::new(0, 1, 0));
    assert_eq!(report.capabilities, published[0].manifest.capabilities);
    let wasm = report.component.wasm_path(data.path());
    assert_eq!(
        wasm,
        data.path()
            .join("components/whatsapp")
            .join(format!("0.1.0-{}.wasm", sha.short()))
    );
    assert_eq!(std::fs::read(&wasm).expect("artifact"), published[0].bytes);
    let stored: switchboard_registry::Manifest =
        serde_json::from_slice(&std::fs::read(wasm.with_extension("json")).expect("manifest file"))
            .expect("manifest json");
    assert_eq!(stored, published[0].manifest);

    let set = installed(data.path()).expect("installed set");
    let entry = &set.components["whatsapp"];
    assert_eq!(
        (entry.version.clone(), entry.sha256),
        (Version::new(0, 1, 0), sha)
    );
    assert_eq!(entry.wasm_path(data.path()), wasm);
    assert!(entry.installed_at_ms > 0);
}

#[tokio::test]
async fn a_directory_source_reads_the_index_inside_it() {
    let registry = LocalRegistry::new(&[Published::new("whatsapp", "0.1.0", "0.1.0")]);
    let index = load_index(
        &Source::Path(registry.dir.path().to_owned()),
        PlainHttp::Refuse,
    )
    .await
    .expect("directory source");
    assert_eq!(index.source(), &Source::Path(registry.index_path()));
    assert!(index.index().component("whatsapp").is_some());
}

#[tokio::test]
async fn file_urls_work_for_the_index_and_the_artifact() {
    let registry = LocalRegistry::new(&[]);
    let mut published = Published::new("telegram", "0.1.0", "0.1.0");
    let artifact_path = registry.path("elsewhere/telegram.wasm");
    std::fs::create_dir_all(artifact_path.parent().expect("parent")).expect("mkdir");
    std::fs::write(&artifact_path, &published.bytes).expect("artifact");
    published.artifact = url::Url::from_file_path(&artifact_path)
        .expect("file url")
        .to_string();
    registry.publish(std::slice::from_ref(&published));

    let index_url = url::Url::from_file_path(registry.index_path()).expect("file url");
    let source = Source::parse(index_url.as_str()).expect("file: source");
    assert_eq!(source, Source::Path(registry.index_path()));
    let index = load_index(&source, PlainHttp::Refuse)
        .await
        .expect("load through file: url");
    let data = tempfile::tempdir().expect("data dir");
    let report = install_spec(&index, "telegram", data.path())
        .await
        .expect("install");
    assert_eq!(
        std::fs::read(report.component.wasm_path(data.path())).expect("artifact"),
        published.bytes
    );
}

#[tokio::test]
async fn a_tampered_artifact_is_refused_before_anything_is_written() {
    let published = [Published::new("whatsapp", "0.1.0", "0.1.0")];
    let registry = LocalRegistry::new(&published);
    std::fs::write(registry.path(&published[0].artifact), b"\0asm evil").expect("tamper");
    let data = tempfile::tempdir().expect("data dir");

    let err = install_spec(&registry.load().await, "whatsapp", data.path())
        .await
        .expect_err("tampered artifact must be refused");

    let expected = Sha256Digest::of(&published[0].bytes);
    let actual = Sha256Digest::of(b"\0asm evil");
    let text = err.to_string();
    assert!(
        matches!(&err, RegistryError::ChecksumMismatch { expected: e, actual: a, .. }
            if *e == expected && *a == actual),
        "{err:?}"
    );
    assert!(text.contains(&expected.to_string()) && text.contains(&actual.to_string()));
    assert!(text.contains("whatsapp 0.1.0"), "{text}");
    assert_eq!(files_under(data.path()), Vec::<String>::new());
}

#[tokio::test]
async fn a_tampered_upgrade_leaves_the_installed_version_untouched() {
    let v1 = Published::new("whatsapp", "0.1.0", "0.1.0");
    let v2 = Published::new("whatsapp", "0.2.0", "0.1.0");
    let registry = LocalRegistry::new(&[v1]);
    let data = tempfile::tempdir().expect("data dir");
    install_spec(&registry.load().await, "whatsapp", data.path())
        .await
        .expect("first install");
    let installed_json = data.path().join("components/installed.json");
    let before = std::fs::read(&installed_json).expect("installed.json");
    let files_before = files_under(data.path());

    registry.publish(&[Published::new("whatsapp", "0.1.0", "0.1.0"), v2]);
    std::fs::write(
        registry.path("artifacts/whatsapp-0.2.0.wasm"),
        b"\0asm evil",
    )
    .expect("tamper");
    let err = install_spec(&registry.load().await, "whatsapp", data.path())
        .await
        .expect_err("tampered upgrade");

    assert!(
        matches!(err, RegistryError::ChecksumMismatch { .. }),
        "{err:?}"
    );
    assert_eq!(
        std::fs::read(&installed_json).expect("installed.json"),
        before
    );
    assert_eq!(files_under(data.path()), files_before);
}

#[tokio::test]
async fn an_upgrade_keeps_the_old_artifact_and_updates_installed_json() {
    let registry = LocalRegistry::new(&[Published::new("whatsapp", "0.1.0", "0.1.0")]);
    let data = tempfile::tempdir().expect("data dir");
    let first = install_spec(&registry.load().await, "whatsapp", data.path())
        .await
        .expect("first install");

    registry.publish(&[
        Published::new("whatsapp", "0.1.0", "0.1.0"),
        Published::new("whatsapp", "0.2.0", "0.1.0"),
    ]);
    let second = install_spec(&registry.load().await, "whatsapp", data.path())
        .await
        .expect("upgrade");

    assert_eq!(
        second.outcome,
        InstallOutcome::Replaced {
            previous: Version::new(0, 1, 0)
        }
    );
    assert!(
        first.component.wasm_path(data.path()).exists(),
        "old artifact kept"
    );
    assert!(second.component.wasm_path(data.path()).exists());
    let set = installed(data.path()).expect("installed set");
    assert_eq!(set.components["whatsapp"].version, Version::new(0, 2, 0));
    assert_eq!(set.components.len(), 1);
}

#[tokio::test]
async fn reinstalling_the_same_build_is_a_no_op() {
    let registry = LocalRegistry::new(&[Published::new("whatsapp", "0.1.0", "0.1.0")]);
    let index = registry.load().await;
    let data = tempfile::tempdir().expect("data dir");
    let first = install_spec(&index, "whatsapp", data.path())
        .await
        .expect("install");
    let installed_json = data.path().join("components/installed.json");
    let before = std::fs::read(&installed_json).expect("installed.json");

    let again = install_spec(&index, "whatsapp", data.path())
        .await
        .expect("reinstall");

    assert_eq!(again.outcome, InstallOutcome::AlreadyInstalled);
    assert_eq!(again.component, first.component);
    assert_eq!(
        std::fs::read(&installed_json).expect("installed.json"),
        before
    );
}

#[tokio::test]
async fn reinstalling_repairs_a_deleted_artifact() {
    let registry = LocalRegistry::new(&[Published::new("whatsapp", "0.1.0", "0.1.0")]);
    let index = registry.load().await;
    let data = tempfile::tempdir().expect("data dir");
    let first = install_spec(&index, "whatsapp", data.path())
        .await
        .expect("install");
    std::fs::remove_file(first.component.wasm_path(data.path())).expect("delete artifact");

    let again = install_spec(&index, "whatsapp", data.path())
        .await
        .expect("repair");

    assert_eq!(
        again.outcome,
        InstallOutcome::Replaced {
            previous: Version::new(0, 1, 0)
        }
    );
    assert!(again.component.wasm_path(data.path()).exists());
}

#[tokio::test]
async fn uninstall_removes_the_entry_and_keeps_the_files() {
    let registry = LocalRegistry::new(&[
        Published::new("whatsapp", "0.1.0", "0.1.0"),
        Published::new("slack", "0.1.0", "0.1.0"),
    ]);
    let index = registry.load().await;
    let data = tempfile::tempdir().expect("data dir");
    install_spec(&index, "whatsapp", data.path())
        .await
        .expect("install whatsapp");
    install_spec(&index, "slack", data.path())
        .await
        .expect("install slack");

    let removed = uninstall(data.path(), "whatsapp").expect("uninstall");

    assert_eq!(removed.name, "whatsapp");
    assert!(removed.wasm_path(data.path()).exists(), "files are kept");
    let set = installed(data.path()).expect("installed set");
    assert_eq!(set.components.keys().collect::<Vec<_>>(), ["slack"]);
    let err = uninstall(data.path(), "whatsapp").expect_err("second uninstall");
    assert!(matches!(err, RegistryError::NotInstalled { ref name, .. } if name == "whatsapp"));
}

#[tokio::test]
async fn uninstall_from_an_empty_data_dir_creates_nothing() {
    let data = tempfile::tempdir().expect("data dir");
    let err = uninstall(data.path(), "whatsapp").expect_err("nothing installed");
    assert!(
        err.to_string().contains("`whatsapp` is not installed"),
        "{err}"
    );
    assert_eq!(
        installed(data.path()).expect("empty set").components.len(),
        0
    );
    assert!(!data.path().join("components").exists());
}

#[tokio::test]
async fn an_unsupported_schema_version_is_refused_naming_both_versions() {
    let dir = tempfile::tempdir().expect("registry dir");
    let path = dir.path().join("index.json");
    std::fs::write(
        &path,
        br#"{ "schema_version": 7, "components": "a future shape" }"#,
    )
    .expect("write index");

    let err = load_index(&Source::Path(path.clone()), PlainHttp::Refuse)
        .await
        .expect_err("schema 7");

    assert!(
        matches!(
            err,
            RegistryError::UnsupportedSchema {
                found: 7,
                supported: 1,
                ..
            }
        ),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("schema_version 7") && text.contains("supports 1"),
        "{text}"
    );
    assert!(text.contains(&path.display().to_string()), "{text}");
}

#[tokio::test]
async fn an_entry_whose_manifest_disagrees_is_refused() {
    let mut published = Published::new("whatsapp", "0.1.0", "0.1.0");
    published.manifest.name = "telegram".to_owned();
    let registry = LocalRegistry::new(&[published]);
    let data = tempfile::tempdir().expect("data dir");

    // The index groups by manifest name, so rename the component entry back.
    let text = std::fs::read_to_string(registry.index_path()).expect("index");
    let text = text.replacen(r#""name": "telegram""#, r#""name": "whatsapp""#, 1);
    std::fs::write(registry.index_path(), text).expect("rewrite index");

    let err = install_spec(&registry.load().await, "whatsapp", data.path())
        .await
        .expect_err("mismatch");
    assert!(
        matches!(err, RegistryError::ManifestMismatch { field: "name", .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("`telegram`"), "{err}");
    assert_eq!(files_under(data.path()), Vec::<String>::new());
}

#[tokio::test]
async fn a_corrupt_installed_json_is_an_error_not_a_fresh_start() {
    let registry = LocalRegistry::new(&[Published::new("whatsapp", "0.1.0", "0.1.0")]);
    let data = tempfile::tempdir().expect("data dir");
    let installed_json = data.path().join("components/installed.json");
    std::fs::create_dir_all(installed_json.parent().expect("parent")).expect("mkdir");
    std::fs::write(&installed_json, b"{ not json").expect("corrupt");

    let err = install_spec(&registry.load().await, "whatsapp", data.path())
        .await
        .expect_err("corrupt installed.json");

    assert!(matches!(err, RegistryError::Json { .. }), "{err:?}");
    assert!(err.to_string().contains("installed.json"), "{err}");
    assert_eq!(
        std::fs::read(&installed_json).expect("still there"),
        b"{ not json"
    );
}

#[tokio::test]
async fn an_unknown_component_is_not_found_naming_the_index() {
    let registry = LocalRegistry::new(&[Published::new("whatsapp", "0.1.0", "0.1.0")]);
    let data = tempfile::tempdir().expect("data dir");
    let err = install_spec(&registry.load().await, "signal", data.path())
        .await
        .expect_err("unknown");
    assert!(matches!(err, RegistryError::NotFound { ref name, .. } if name == "signal"));
    assert!(err.to_string().contains("index.json"), "{err}");
}

#[tokio::test]
async fn a_manifest_above_a_ceiling_is_refused_before_anything_is_fetched() {
    let mut greedy = Published::new("whatsapp", "0.1.0", "0.1.0");
    greedy.manifest.limits.max_body_bytes = Some(8 << 30);
    // The artifact is never read: a missing file would be the error otherwise.
    greedy.artifact = "artifacts/missing.wasm".to_owned();
    let files = LocalRegistry::new(&[]);
    std::fs::write(files.index_path(), crate::support::index_json(&[greedy])).expect("index");
    let data = tempfile::tempdir().expect("data dir");

    let err = install_spec(&files.load().await, "whatsapp", data.path())
        .await
        .expect_err("above the ceiling");

    assert!(
        matches!(&err, RegistryError::AboveCeiling { exceeded, .. }
            if exceeded.len() == 1 && exceeded[0].asked == 8 << 30),
        "{err:?}"
    );
    assert_eq!(files_under(data.path()), Vec::<String>::new());
}
