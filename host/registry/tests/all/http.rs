//! Loading and installing from a loopback HTTP server.

use std::collections::HashMap;

use switchboard_registry::{InstallOutcome, PlainHttp, RegistryError, Source, load_index};

use crate::support::{MockServer, Published, files_under, index_json, install_spec};

#[tokio::test]
async fn installs_from_an_http_index_with_relative_artifacts() {
    let published = [Published::new("whatsapp", "0.1.0", "0.1.0")];
    let server = MockServer::registry(&published).await;
    let source = Source::parse(&server.url("/registry/index.json")).expect("http source");
    let index = load_index(&source, PlainHttp::Allow)
        .await
        .expect("load over http");
    let data = tempfile::tempdir().expect("data dir");

    let report = install_spec(&index, "whatsapp", data.path())
        .await
        .expect("install over http");

    assert_eq!(report.outcome, InstallOutcome::Installed);
    assert_eq!(
        std::fs::read(report.component.wasm_path(data.path())).expect("artifact"),
        published[0].bytes
    );
    assert_eq!(
        server.requests(),
        [
            "/registry/index.json",
            "/registry/artifacts/whatsapp-0.1.0.wasm"
        ]
    );
}

#[tokio::test]
async fn relative_artifacts_resolve_against_the_index_url_after_redirects() {
    let published = [Published::new("whatsapp", "0.1.0", "0.1.0")];
    let mut files = HashMap::new();
    files.insert("/v2/index.json".to_owned(), index_json(&published));
    files.insert(
        "/v2/artifacts/whatsapp-0.1.0.wasm".to_owned(),
        published[0].bytes.clone(),
    );
    let redirects = HashMap::from([("/latest.json".to_owned(), "/v2/index.json".to_owned())]);
    let server = MockServer::with_redirects(files, redirects).await;
    let index = load_index(
        &Source::parse(&server.url("/latest.json")).expect("http source"),
        PlainHttp::Allow,
    )
    .await
    .expect("load through a redirect");
    let data = tempfile::tempdir().expect("data dir");

    install_spec(&index, "whatsapp", data.path())
        .await
        .expect("artifact found next to the final index url");

    assert_eq!(
        index.source().to_string(),
        server.url("/v2/index.json"),
        "errors name the index that was actually read"
    );
}

#[tokio::test]
async fn reinstalling_over_http_does_not_download_again() {
    let server = MockServer::registry(&[Published::new("whatsapp", "0.1.0", "0.1.0")]).await;
    let source = Source::parse(&server.url("/registry/index.json")).expect("http source");
    let index = load_index(&source, PlainHttp::Allow)
        .await
        .expect("load over http");
    let data = tempfile::tempdir().expect("data dir");
    install_spec(&index, "whatsapp", data.path())
        .await
        .expect("install");

    let again = install_spec(&index, "whatsapp", data.path())
        .await
        .expect("reinstall");

    assert_eq!(again.outcome, InstallOutcome::AlreadyInstalled);
    let downloads = server
        .requests()
        .iter()
        .filter(|path| path.ends_with(".wasm"))
        .count();
    assert_eq!(downloads, 1);
}

#[tokio::test]
async fn a_missing_artifact_names_the_url_and_status() {
    let published = [Published::new("whatsapp", "0.1.0", "0.1.0")];
    let mut files = HashMap::new();
    files.insert("/registry/index.json".to_owned(), index_json(&published));
    let server = MockServer::start(files).await;
    let source = Source::parse(&server.url("/registry/index.json")).expect("http source");
    let index = load_index(&source, PlainHttp::Allow)
        .await
        .expect("load over http");
    let data = tempfile::tempdir().expect("data dir");

    let err = install_spec(&index, "whatsapp", data.path())
        .await
        .expect_err("artifact 404");

    let url = server.url("/registry/artifacts/whatsapp-0.1.0.wasm");
    assert!(
        matches!(&err, RegistryError::HttpStatus { url: u, status: 404 } if *u == url),
        "{err:?}"
    );
    assert!(
        err.to_string().contains(&url) && err.to_string().contains("404"),
        "{err}"
    );
    assert_eq!(files_under(data.path()), Vec::<String>::new());
}

#[tokio::test]
async fn a_missing_index_names_the_url_and_status() {
    let server = MockServer::start(HashMap::new()).await;
    let url = server.url("/nothing/index.json");
    let err = load_index(&Source::parse(&url).expect("http source"), PlainHttp::Allow)
        .await
        .expect_err("index 404");
    assert_eq!(
        err.to_string(),
        format!("fetching {url} failed: http status 404")
    );
}

#[tokio::test]
async fn a_remote_index_may_not_point_at_local_files() {
    let mut published = Published::new("whatsapp", "0.1.0", "0.1.0");
    published.artifact = "file:///etc/hostname".to_owned();
    let mut files = HashMap::new();
    files.insert("/index.json".to_owned(), index_json(&[published]));
    let server = MockServer::start(files).await;
    let index = load_index(
        &Source::parse(&server.url("/index.json")).expect("http source"),
        PlainHttp::Allow,
    )
    .await
    .expect("load over http");
    let data = tempfile::tempdir().expect("data dir");

    let err = install_spec(&index, "whatsapp", data.path())
        .await
        .expect_err("local artifact from remote index");

    assert!(
        matches!(err, RegistryError::LocalArtifactFromRemoteIndex { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("file:///etc/hostname"), "{err}");
}

#[tokio::test]
async fn an_oversized_index_is_refused() {
    let mut files = HashMap::new();
    let mut huge = br#"{ "schema_version": 1, "padding": ""#.to_vec();
    huge.resize(9 << 20, b'x');
    huge.extend_from_slice(br#"", "components": [] }"#);
    files.insert("/index.json".to_owned(), huge);
    let server = MockServer::start(files).await;

    let err = load_index(
        &Source::parse(&server.url("/index.json")).expect("http source"),
        PlainHttp::Allow,
    )
    .await
    .expect_err("9 MiB index");

    assert!(
        matches!(err, RegistryError::TooLarge { limit, .. } if limit == 8 << 20),
        "{err:?}"
    );
}

#[tokio::test]
async fn plain_http_is_refused_unless_allowed_and_nothing_is_requested() {
    let server = MockServer::registry(&[Published::new("whatsapp", "0.1.0", "0.1.0")]).await;
    let url = server.url("/registry/index.json");

    let err = load_index(
        &Source::parse(&url).expect("http source"),
        PlainHttp::Refuse,
    )
    .await
    .expect_err("plain http without permission");

    assert!(
        matches!(&err, RegistryError::PlainHttp { url: u } if *u == url),
        "{err:?}"
    );
    assert_eq!(server.requests(), Vec::<String>::new());
}

#[tokio::test]
async fn artifacts_are_fetched_under_the_rule_the_index_was_loaded_with() {
    let server = MockServer::registry(&[Published::new("whatsapp", "0.1.0", "0.1.0")]).await;
    let artifact = server.url("/registry/artifacts/whatsapp-0.1.0.wasm");
    let mut published = Published::new("whatsapp", "0.1.0", "0.1.0");
    published.artifact = artifact.clone();
    let registry = crate::support::LocalRegistry::new(&[published]);
    let data = tempfile::tempdir().expect("data dir");

    let index = registry.load().await;
    let err = install_spec(&index, "whatsapp", data.path())
        .await
        .expect_err("plain-http artifact without permission");
    assert!(
        matches!(&err, RegistryError::PlainHttp { url } if *url == artifact),
        "{err:?}"
    );
    assert_eq!(server.requests(), Vec::<String>::new());
    assert_eq!(files_under(data.path()), Vec::<String>::new());

    let index = load_index(&Source::Path(registry.index_path()), PlainHttp::Allow)
        .await
        .expect("index loads");
    install_spec(&index, "whatsapp", data.path())
        .await
        .expect("allowed");
    assert_eq!(
        server.requests(),
        ["/registry/artifacts/whatsapp-0.1.0.wasm"]
    );
}
