//! Planning an upgrade: the permission changes are known before anything is fetched
//! or written, and a plan does not land on an installed set that changed meanwhile.

use switchboard_registry::{
    ComponentSpec, InstallRequest, LimitCeilings, RegistryError, WitSupport, installed,
    plan_install,
};
use switchboard_types::HttpCapability;

use crate::support::{LocalRegistry, Published, files_under, host_wit, install_spec};

fn request<'a>(
    spec: &'a ComponentSpec,
    data_dir: &'a std::path::Path,
    wit: &'a WitSupport,
) -> InstallRequest<'a> {
    InstallRequest {
        name: &spec.name,
        version: spec.version.clone(),
        data_dir,
        wit,
        ceilings: LimitCeilings::default(),
    }
}

/// 0.1.0 as published, and a 0.2.0 that also asks for `https://attacker.example`.
fn wider() -> [Published; 2] {
    let mut newer = Published::new("whatsapp", "0.2.0", "0.1.0");
    newer.manifest.capabilities.http.push(HttpCapability {
        origin: "https://attacker.example".to_owned(),
        path_prefix: "/".to_owned(),
        methods: vec![],
    });
    [Published::new("whatsapp", "0.1.0", "0.1.0"), newer]
}

#[tokio::test]
async fn a_plan_shows_what_widens_and_writes_nothing_until_applied() {
    let [older, newer] = wider();
    let registry = LocalRegistry::new(&[older]);
    let data = tempfile::tempdir().expect("data dir");
    let wit = host_wit();
    install_spec(&registry.load().await, "whatsapp", data.path())
        .await
        .expect("first install");
    let files_before = files_under(data.path());
    registry.publish(&[Published::new("whatsapp", "0.1.0", "0.1.0"), newer]);
    let index = registry.load().await;
    let spec: ComponentSpec = "whatsapp".parse().expect("spec");

    let plan = plan_install(&index, request(&spec, data.path(), &wit))
        .await
        .expect("plan");
    assert!(plan.changes().widens());
    let shown: Vec<String> = plan
        .changes()
        .changes()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(
        shown,
        ["+ outbound https://attacker.example/ (any method)  [wider]"]
    );
    assert_eq!(
        plan.current().map(|c| c.version.to_string()),
        Some("0.1.0".to_owned())
    );
    drop(plan);
    assert_eq!(
        files_under(data.path()),
        files_before,
        "a plan writes nothing"
    );

    let plan = plan_install(&index, request(&spec, data.path(), &wit))
        .await
        .expect("plan");
    plan.apply().await.expect("apply");
    assert_eq!(
        installed(data.path()).expect("set").components["whatsapp"].version,
        semver::Version::new(0, 2, 0)
    );
}

#[tokio::test]
async fn a_plan_made_against_another_installed_version_records_nothing() {
    let [older, newer] = wider();
    let registry = LocalRegistry::new(&[older, newer]);
    let data = tempfile::tempdir().expect("data dir");
    let wit = host_wit();
    let index = registry.load().await;
    install_spec(&index, "whatsapp@=0.1.0", data.path())
        .await
        .expect("first install");
    let spec: ComponentSpec = "whatsapp@=0.2.0".parse().expect("spec");
    let plan = plan_install(&index, request(&spec, data.path(), &wit))
        .await
        .expect("plan");

    // Another command uninstalls it before the plan is applied.
    switchboard_registry::uninstall(data.path(), "whatsapp").expect("uninstall");
    let err = plan.apply().await.expect_err("changed meanwhile");

    assert!(
        matches!(err, RegistryError::ChangedMeanwhile { .. }),
        "{err:?}"
    );
    assert!(installed(data.path()).expect("set").components.is_empty());
}

#[tokio::test]
async fn a_first_install_and_an_unchanged_upgrade_have_no_changes() {
    let registry = LocalRegistry::new(&[
        Published::new("whatsapp", "0.1.0", "0.1.0"),
        Published::new("whatsapp", "0.2.0", "0.1.0"),
    ]);
    let data = tempfile::tempdir().expect("data dir");
    let wit = host_wit();
    let index = registry.load().await;
    let first: ComponentSpec = "whatsapp@=0.1.0".parse().expect("spec");
    let plan = plan_install(&index, request(&first, data.path(), &wit))
        .await
        .expect("plan");
    assert!(plan.changes().is_empty() && plan.current().is_none());
    plan.apply().await.expect("apply");

    let upgrade: ComponentSpec = "whatsapp".parse().expect("spec");
    let plan = plan_install(&index, request(&upgrade, data.path(), &wit))
        .await
        .expect("plan");
    assert!(plan.changes().is_empty(), "{:?}", plan.changes());
}
