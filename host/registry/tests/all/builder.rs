//! Building an index from manifests and built artifacts, then installing from it.

use switchboard_registry::{
    InstallOutcome, ManifestError, PlainHttp, RegistryError, Sha256Digest, Source, build_index,
    load_index, read_manifest,
};

use crate::support::{fake_wasm, install_spec, manifest};

/// A project-shaped tree: `registry/<name>/manifest.json` and built artifacts under
/// `target/wasm/`, with the index written to `registry/index.json`.
struct Tree {
    root: tempfile::TempDir,
}

impl Tree {
    fn new() -> Self {
        Self {
            root: tempfile::tempdir().expect("tree"),
        }
    }

    fn add(
        &self,
        name: &str,
        version: &str,
    ) -> (switchboard_registry::Manifest, std::path::PathBuf) {
        let manifest_path = self
            .root
            .path()
            .join(format!("registry/{name}/manifest.json"));
        std::fs::create_dir_all(manifest_path.parent().expect("parent")).expect("mkdir");
        let json = serde_json::to_vec_pretty(&manifest(name, version, "0.1.0")).expect("json");
        std::fs::write(&manifest_path, json).expect("write manifest");
        let wasm = self
            .root
            .path()
            .join(format!("target/wasm/{name}-{version}.wasm"));
        std::fs::create_dir_all(wasm.parent().expect("parent")).expect("mkdir");
        std::fs::write(&wasm, fake_wasm(name, version)).expect("write wasm");
        (read_manifest(&manifest_path).expect("read manifest"), wasm)
    }

    fn index_path(&self) -> std::path::PathBuf {
        self.root.path().join("registry/index.json")
    }
}

#[tokio::test]
async fn a_built_index_round_trips_through_load_and_install() {
    let tree = Tree::new();
    let entries = vec![
        tree.add("whatsapp", "0.1.0"),
        tree.add("whatsapp", "0.2.0"),
        tree.add("telegram", "0.1.0"),
    ];
    build_index(&entries, &tree.index_path()).expect("build");

    let index = load_index(&Source::Path(tree.index_path()), PlainHttp::Refuse)
        .await
        .expect("load");
    let whatsapp = index
        .index()
        .component("whatsapp")
        .expect("whatsapp listed");
    let newest = whatsapp.versions.last().expect("versions");
    assert_eq!(newest.artifact, "../target/wasm/whatsapp-0.2.0.wasm");
    assert_eq!(
        newest.sha256,
        Sha256Digest::of(&fake_wasm("whatsapp", "0.2.0"))
    );
    assert_eq!(whatsapp.versions.len(), 2);
    assert!(index.index().component("telegram").is_some());

    let data = tempfile::tempdir().expect("data dir");
    let report = install_spec(&index, "whatsapp", data.path())
        .await
        .expect("install");
    assert_eq!(report.outcome, InstallOutcome::Installed);
    assert_eq!(report.component.manifest, entries[1].0);
    assert_eq!(
        std::fs::read(report.component.wasm_path(data.path())).expect("artifact"),
        fake_wasm("whatsapp", "0.2.0")
    );
}

#[test]
fn a_version_listed_twice_is_refused() {
    let tree = Tree::new();
    let entry = tree.add("whatsapp", "0.1.0");
    let err = build_index(&[entry.clone(), entry], &tree.index_path()).expect_err("duplicate");
    assert!(matches!(err, RegistryError::Duplicate { .. }), "{err:?}");
    assert!(err.to_string().contains("whatsapp 0.1.0"), "{err}");
    assert!(!tree.index_path().exists());
}

#[test]
fn an_invalid_manifest_is_refused_naming_the_file() {
    let tree = Tree::new();
    let path = tree.root.path().join("bad.json");
    let mut bad = manifest("whatsapp", "0.1.0", "0.1.0");
    bad.secrets.clear();
    std::fs::write(&path, serde_json::to_vec(&bad).expect("json")).expect("write");

    let err = read_manifest(&path).expect_err("undeclared secret");

    assert!(
        matches!(
            err,
            RegistryError::InvalidManifestFile {
                source: ManifestError::UndeclaredSecret { .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("bad.json"), "{err}");
}

#[test]
fn a_missing_artifact_is_reported_with_its_path() {
    let tree = Tree::new();
    let (manifest, wasm) = tree.add("whatsapp", "0.1.0");
    std::fs::remove_file(&wasm).expect("remove");
    let err = build_index(&[(manifest, wasm.clone())], &tree.index_path()).expect_err("missing");
    assert!(
        matches!(err, RegistryError::Io { ref path, .. } if *path == wasm),
        "{err:?}"
    );
}
