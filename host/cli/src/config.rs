//! `switchboard.toml`: the raw TOML shape (unknown keys are errors) and its
//! lowering into the daemon's validated configuration. Every error names the key,
//! environment variable, file or version at fault.

mod access;
mod store;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use serde::Deserialize;
use switchboard_agent::{Agent, EchoAgent, HttpAgent, HttpAgentConfig, OpenAiAgent, OpenAiConfig};
use switchboard_daemon::{
    ApiConfig, ComponentRef, DEFAULT_MAX_ATTACHMENT_BYTES, DaemonConfig, InstanceConfig,
    ReceiveMode, ServerLimits, StoreConfig, WorkerConfig,
};
use switchboard_registry::{Installed, LimitCeilings};
use switchboard_runtime::RuntimeConfig;
use switchboard_store::StateQuota;

use crate::secrets::{SecretRef, resolve};

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    pub(crate) server: RawServer,
    #[serde(default)]
    pub(crate) agent: RawAgent,
    #[serde(default)]
    pub(crate) registry: RawRegistry,
    #[serde(default)]
    pub(crate) log: RawLog,
    #[serde(default)]
    pub(crate) delivery: RawDelivery,
    #[serde(default)]
    pub(crate) limits: RawLimits,
    #[serde(default)]
    pub(crate) store: store::RawStore,
    #[serde(default)]
    pub(crate) channels: BTreeMap<String, RawChannel>,
    /// The HTTP API on the admin listener; off without this table.
    #[serde(default)]
    pub(crate) api: Option<RawApi>,
}

/// `[api]`: the HTTP API under `/v1/` (sends, their state, blobs).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawApi {
    /// The bearer token clients present.
    pub(crate) token: SecretRef,
}

/// The shortest `[api] token` taken: it guards sending as the operator.
const MIN_API_TOKEN_LEN: usize = 16;

/// Ceilings on what a component's manifest may ask for; only the operator raises
/// them. A channel's own `max_body_bytes` and `call_timeout_ms` are the operator's
/// choice and are not capped.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLimits {
    #[serde(default)]
    pub(crate) max_body_bytes: Option<u64>,
    #[serde(default)]
    pub(crate) call_timeout_ms: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawServer {
    pub(crate) listen: String,
    pub(crate) data_dir: PathBuf,
    /// Serve `/healthz`, `/readyz` and `/metrics` on a separate address.
    #[serde(default)]
    pub(crate) admin_listen: Option<String>,
    #[serde(default)]
    pub(crate) max_in_flight: Option<usize>,
    #[serde(default)]
    pub(crate) max_connections: Option<usize>,
    #[serde(default)]
    pub(crate) header_timeout_ms: Option<u64>,
    #[serde(default)]
    pub(crate) body_timeout_ms: Option<u64>,
    #[serde(default)]
    pub(crate) persist_timeout_ms: Option<u64>,
    #[serde(default)]
    pub(crate) shutdown_grace_ms: Option<u64>,
    /// How long a response write may wait for a client that does not read.
    #[serde(default)]
    pub(crate) write_timeout_ms: Option<u64>,
    /// Bytes of request bodies held in memory at once, across every connection.
    #[serde(default)]
    pub(crate) body_budget_mb: Option<u64>,
    #[serde(default)]
    pub(crate) max_concurrent_calls: Option<u32>,
    #[serde(default)]
    pub(crate) retention_days: Option<u64>,
    /// Cap on the database file; beyond it deliveries get 503 as on a full disk.
    #[serde(default)]
    pub(crate) max_database_mb: Option<u64>,
    /// Cap on the attachment content kept in the blob store (none by default).
    #[serde(default)]
    pub(crate) max_blobs_mb: Option<u64>,
}

/// Retries of the work done after the ACK: hooks, agent turns and replies.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDelivery {
    #[serde(default)]
    pub(crate) retry_base_ms: Option<u64>,
    #[serde(default)]
    pub(crate) retry_max_ms: Option<u64>,
    #[serde(default)]
    pub(crate) reply_max_attempts: Option<u32>,
    #[serde(default)]
    pub(crate) hook_max_attempts: Option<u32>,
    #[serde(default)]
    pub(crate) agent_max_attempts: Option<u32>,
    #[serde(default)]
    pub(crate) download_max_attempts: Option<u32>,
    /// How long an agent turn waits for its message's attachments.
    #[serde(default)]
    pub(crate) attachment_wait_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLog {
    /// Default filter (e.g. `info`, `switchboard=debug`); `RUST_LOG` wins.
    #[serde(default)]
    pub(crate) level: Option<String>,
    /// `text` or `json`; `--log-format` wins.
    #[serde(default)]
    pub(crate) format: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRegistry {
    /// Default registry index (path or URL) for `install` and `registry list`.
    #[serde(default)]
    pub(crate) index: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAgent {
    #[serde(default = "echo")]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) url: Option<String>,
    #[serde(default)]
    pub(crate) headers: BTreeMap<String, SecretRef>,
    #[serde(default)]
    pub(crate) timeout_secs: Option<f64>,
    #[serde(default)]
    pub(crate) base_url: Option<String>,
    #[serde(default)]
    pub(crate) model: Option<String>,
    #[serde(default)]
    pub(crate) api_key: Option<SecretRef>,
    #[serde(default)]
    pub(crate) system_prompt: Option<String>,
    #[serde(default)]
    pub(crate) max_history: Option<usize>,
    #[serde(default)]
    pub(crate) temperature: Option<f32>,
    /// `openai`: the model takes images, which go to it as image parts.
    #[serde(default)]
    pub(crate) vision: bool,
}

impl Default for RawAgent {
    fn default() -> Self {
        RawAgent {
            kind: echo(),
            url: None,
            headers: BTreeMap::new(),
            timeout_secs: None,
            base_url: None,
            model: None,
            api_key: None,
            system_prompt: None,
            max_history: None,
            temperature: None,
            vision: false,
        }
    }
}

fn echo() -> String {
    "echo".to_owned()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawChannel {
    pub(crate) component: String,
    #[serde(default)]
    pub(crate) secrets: BTreeMap<String, SecretRef>,
    #[serde(default)]
    pub(crate) settings: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) allow: Vec<String>,
    #[serde(default)]
    pub(crate) max_body_bytes: Option<u64>,
    #[serde(default)]
    pub(crate) call_timeout_ms: Option<u64>,
    /// Keys of key-value state the guest may keep.
    #[serde(default)]
    pub(crate) state_max_keys: Option<u64>,
    /// Megabytes of key-value state (keys and values) the guest may keep.
    #[serde(default)]
    pub(crate) state_max_mb: Option<u64>,
    /// Megabytes of one attachment downloaded into the blob store (default 25).
    #[serde(default)]
    pub(crate) max_attachment_mb: Option<u64>,
    /// Who may talk to the agent.
    #[serde(default)]
    pub(crate) access: access::RawAccess,
}

/// A parsed config file and where it lives (relative paths resolve against it).
#[derive(Debug)]
pub(crate) struct ConfigFile {
    pub(crate) path: PathBuf,
    pub(crate) raw: RawConfig,
}

impl ConfigFile {
    pub(crate) fn load(path: &Path) -> anyhow::Result<ConfigFile> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        let raw: RawConfig =
            toml::from_str(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
        Ok(ConfigFile {
            path: path.to_owned(),
            raw,
        })
    }

    /// The directory relative paths in the config are resolved against.
    pub(crate) fn base_dir(&self) -> PathBuf {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        }
    }

    pub(crate) fn data_dir(&self) -> PathBuf {
        self.base_dir().join(&self.raw.server.data_dir)
    }

    /// `[store]` alone, for the commands that only need the database.
    pub(crate) fn store_config(&self) -> anyhow::Result<StoreConfig> {
        self.raw
            .store
            .lower(&self.base_dir())
            .map_err(|errors| anyhow!("{}: {}", self.path.display(), errors.join("; ")))
    }

    /// Opens the store the file names, as `serve` would (`read_only` for inspection).
    pub(crate) async fn open_store(
        &self,
        read_only: bool,
    ) -> anyhow::Result<switchboard_store::Store> {
        switchboard_daemon::open_store(&self.store_config()?, &self.data_dir(), read_only).await
    }

    /// `[limits]`: the host's ceilings, raised where the operator says so.
    pub(crate) fn ceilings(&self) -> LimitCeilings {
        let raw = &self.raw.limits;
        let defaults = LimitCeilings::default();
        LimitCeilings {
            max_body_bytes: raw.max_body_bytes.unwrap_or(defaults.max_body_bytes),
            call_timeout_ms: raw.call_timeout_ms.unwrap_or(defaults.call_timeout_ms),
        }
    }

    pub(crate) fn listen(&self) -> anyhow::Result<SocketAddr> {
        parse_addr("server.listen", &self.raw.server.listen)
    }

    pub(crate) fn admin_listen(&self) -> anyhow::Result<Option<SocketAddr>> {
        self.raw
            .server
            .admin_listen
            .as_deref()
            .map(|a| parse_addr("server.admin_listen", a))
            .transpose()
    }

    /// Checks everything `serve` needs and lowers it, collecting every problem
    /// rather than stopping at the first.
    pub(crate) fn lower(&self) -> Result<DaemonConfig, Problems> {
        let mut problems = Problems::default();
        let base = self.base_dir();
        let data_dir = self.data_dir();
        if let Err(e) = self.listen() {
            problems.push(e.to_string());
        }
        if let Err(e) = self.admin_listen() {
            problems.push(e.to_string());
        }
        let installed = match switchboard_registry::installed(&data_dir) {
            Ok(i) => Some(i),
            Err(e) => {
                problems.push(format!("cannot read installed components: {e}"));
                None
            }
        };
        if self.raw.channels.is_empty() {
            problems.push(format!(
                "{}: no [channels.<instance>] table; configure at least one channel instance",
                self.path.display()
            ));
        }
        let ceilings = self.ceilings();
        let mut instances = Vec::new();
        for (name, channel) in &self.raw.channels {
            match lower_channel(
                name,
                channel,
                installed.as_ref(),
                &data_dir,
                &base,
                &ceilings,
            ) {
                Ok(instance) => instances.push(instance),
                Err(mut errs) => problems.0.append(&mut errs),
            }
        }
        let workers = match self.lower_workers() {
            Ok(w) => Some(w),
            Err(mut errs) => {
                problems.0.append(&mut errs);
                None
            }
        };
        if self.raw.server.max_database_mb == Some(0) {
            problems.push("server.max_database_mb: must be at least 1".to_owned());
        }
        let store = match self.raw.store.lower(&base) {
            Ok(store) => {
                if matches!(store, StoreConfig::Postgres { .. })
                    && self.raw.server.max_database_mb.is_some()
                {
                    problems.push(
                        "server.max_database_mb: caps the SQLite file only; with store.kind = \"postgres\" limit the database on the server"
                            .to_owned(),
                    );
                }
                Some(store)
            }
            Err(mut errs) => {
                problems.0.append(&mut errs);
                None
            }
        };
        let api = match self.lower_api(&base) {
            Ok(api) => Some(api),
            Err(e) => {
                problems.push(e);
                None
            }
        };
        let agent = match lower_agent(&self.raw.agent, &base) {
            Ok(a) => Some(a),
            Err(e) => {
                problems.push(format!("{e:#}"));
                None
            }
        };
        if !problems.0.is_empty() {
            return Err(problems);
        }
        let (Some(agent), Some(workers), Some(api), Some(store)) = (agent, workers, api, store)
        else {
            return Err(problems);
        };
        let s = &self.raw.server;
        let defaults = ServerLimits::default();
        let ms = |v: Option<u64>, d: Duration| v.map_or(d, Duration::from_millis);
        let server = ServerLimits {
            max_connections: s.max_connections.unwrap_or(defaults.max_connections),
            max_in_flight: s.max_in_flight.unwrap_or(defaults.max_in_flight),
            header_timeout: ms(s.header_timeout_ms, defaults.header_timeout),
            body_timeout: ms(s.body_timeout_ms, defaults.body_timeout),
            persist_timeout: ms(s.persist_timeout_ms, defaults.persist_timeout),
            default_max_body_bytes: defaults.default_max_body_bytes,
            shutdown_grace: ms(s.shutdown_grace_ms, defaults.shutdown_grace),
            write_timeout: ms(s.write_timeout_ms, defaults.write_timeout),
            body_budget_bytes: s
                .body_budget_mb
                .map_or(defaults.body_budget_bytes, |mb| mb.saturating_mul(1 << 20)),
            max_database_bytes: s.max_database_mb.map(|mb| mb.saturating_mul(1 << 20)),
            max_blob_bytes: s.max_blobs_mb.map(|mb| mb.saturating_mul(1 << 20)),
            ceilings,
        };
        let mut runtime = RuntimeConfig::default();
        if let Some(n) = s.max_concurrent_calls {
            runtime.max_concurrent_calls = n;
        }
        Ok(DaemonConfig {
            data_dir,
            store,
            instances,
            agent,
            server,
            runtime,
            workers,
            api,
        })
    }
}

impl ConfigFile {
    /// `[api]`: the token resolved and checked, and an admin listener to serve it on.
    fn lower_api(&self, base: &Path) -> Result<ApiConfig, String> {
        let Some(raw) = &self.raw.api else {
            return Ok(ApiConfig::default());
        };
        if self.raw.server.admin_listen.is_none() {
            return Err(
                "api.token: the HTTP API is served on server.admin_listen, which is not set"
                    .to_owned(),
            );
        }
        let token = resolve(&raw.token, base).map_err(|e| format!("api.token: {e}"))?;
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(
                "api.token: only visible ASCII characters (no spaces), as it travels in a header"
                    .to_owned(),
            );
        }
        if token.len() < MIN_API_TOKEN_LEN {
            return Err(format!(
                "api.token: {} characters is too short; use at least {MIN_API_TOKEN_LEN} random ones (`openssl rand -hex 32` makes some)",
                token.len()
            ));
        }
        Ok(ApiConfig { token: Some(token) })
    }

    /// `[server] retention_days`, `[agent] max_history` and the `[delivery]` table.
    fn lower_workers(&self) -> Result<WorkerConfig, Vec<String>> {
        let mut workers = WorkerConfig::default();
        let mut errs = Vec::new();
        if let Some(days) = self.raw.server.retention_days {
            workers.retention = Duration::from_secs(days.saturating_mul(24 * 3600));
        }
        if let Some(h) = self.raw.agent.max_history {
            workers.max_history = h;
        }
        let d = &self.raw.delivery;
        let mut attempts = |key: &str, value: Option<u32>, field: &mut u32| match value {
            Some(0) => errs.push(format!("delivery.{key}: must be at least 1")),
            Some(n) => *field = n,
            None => {}
        };
        attempts(
            "reply_max_attempts",
            d.reply_max_attempts,
            &mut workers.reply_max_attempts,
        );
        attempts(
            "hook_max_attempts",
            d.hook_max_attempts,
            &mut workers.hook_max_attempts,
        );
        attempts(
            "agent_max_attempts",
            d.agent_max_attempts,
            &mut workers.agent_max_attempts,
        );
        attempts(
            "download_max_attempts",
            d.download_max_attempts,
            &mut workers.download_max_attempts,
        );
        if let Some(ms) = d.attachment_wait_ms {
            workers.attachment_wait = Duration::from_millis(ms);
        }
        if let Some(ms) = d.retry_base_ms {
            workers.retry_base = Duration::from_millis(ms);
        }
        if let Some(ms) = d.retry_max_ms {
            workers.retry_max = Duration::from_millis(ms);
        }
        if workers.retry_base.is_zero() {
            errs.push("delivery.retry_base_ms: must be at least 1".to_owned());
        }
        if workers.retry_max < workers.retry_base {
            errs.push(format!(
                "delivery.retry_max_ms: {} ms is shorter than the first retry delay of {} ms",
                workers.retry_max.as_millis(),
                workers.retry_base.as_millis()
            ));
        }
        if errs.is_empty() {
            Ok(workers)
        } else {
            Err(errs)
        }
    }
}

/// Every problem found in a config, one per line.
#[derive(Debug, Default)]
pub(crate) struct Problems(pub(crate) Vec<String>);

impl Problems {
    fn push(&mut self, problem: String) {
        self.0.push(problem);
    }
}

impl std::fmt::Display for Problems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for p in &self.0 {
            writeln!(f, "  - {p}")?;
        }
        Ok(())
    }
}

fn parse_addr(key: &str, value: &str) -> anyhow::Result<SocketAddr> {
    value
        .parse()
        .with_context(|| format!("{key}: {value:?} is not an address like 127.0.0.1:8080"))
}

fn lower_channel(
    name: &str,
    raw: &RawChannel,
    installed: Option<&Installed>,
    data_dir: &Path,
    base: &Path,
    ceilings: &LimitCeilings,
) -> Result<InstanceConfig, Vec<String>> {
    let mut errs = Vec::new();
    if !switchboard_registry::is_valid_name(name) {
        errs.push(format!(
            "channels.{name}: instance names use lower-case letters, digits and '-'"
        ));
    }
    let component = installed.and_then(|i| i.components.get(&raw.component));
    let Some(component) = component else {
        if installed.is_some() {
            errs.push(format!(
                "channels.{name}.component: component {:?} is not installed (run `switchboard install {}`)",
                raw.component, raw.component
            ));
        }
        return Err(errs);
    };
    if !switchboard_runtime::is_supported(&component.wit) {
        errs.push(format!(
            "channels.{name}.component: {} {} targets switchboard:channel@{}; this host supports {}",
            component.name,
            component.version,
            component.wit,
            switchboard_runtime::supported_range()
        ));
    }
    let manifest = &component.manifest;
    if let Err(e) = ceilings.check(manifest) {
        errs.push(format!("channels.{name}.component: {e}"));
    }
    let mut secrets = BTreeMap::new();
    for (key, reference) in &raw.secrets {
        if !manifest.secrets.iter().any(|s| &s.name == key) {
            let known: Vec<&str> = manifest.secrets.iter().map(|s| s.name.as_str()).collect();
            errs.push(format!(
                "channels.{name}.secrets.{key}: component {} declares no such secret (it declares: {})",
                component.name,
                known.join(", ")
            ));
            continue;
        }
        match resolve(reference, base) {
            Ok(value) => {
                secrets.insert(key.clone(), value);
            }
            Err(e) => errs.push(format!("channels.{name}.secrets.{key}: {e}")),
        }
    }
    // An instance that receives by polling or over a session has no webhook to
    // verify, so the secrets only the verification schemes use are not needed (the
    // daemon checks that the component has the export the mode needs).
    let no_webhook = match ReceiveMode::of(manifest, &raw.settings) {
        Ok(mode) => mode != ReceiveMode::Webhook,
        Err(why) => {
            errs.push(format!(
                "channels.{name}.settings.{}: {why}",
                ReceiveMode::SETTING
            ));
            false
        }
    };
    let verification_only = |secret: &str| {
        manifest.verification.post.secret_name() == secret
            || manifest
                .verification
                .get
                .as_ref()
                .is_some_and(|h| h.secret_name() == secret)
    };
    for spec in manifest.secrets.iter().filter(|s| s.required) {
        if no_webhook && verification_only(&spec.name) {
            continue;
        }
        if !raw.secrets.contains_key(&spec.name) {
            errs.push(format!(
                "channels.{name}.secrets.{}: required by component {} but not configured ({})",
                spec.name, component.name, spec.description
            ));
        }
    }
    for key in raw.settings.keys() {
        if !manifest.settings.iter().any(|s| &s.name == key) {
            let known: Vec<&str> = manifest.settings.iter().map(|s| s.name.as_str()).collect();
            errs.push(format!(
                "channels.{name}.settings.{key}: component {} declares no such setting (it declares: {})",
                component.name,
                known.join(", ")
            ));
        }
    }
    let access = match access::lower(name, &raw.access) {
        Ok(access) => Some(access),
        Err(mut problems) => {
            errs.append(&mut problems);
            None
        }
    };
    if !errs.is_empty() {
        return Err(errs);
    }
    Ok(InstanceConfig {
        access: access.unwrap_or_default(),
        name: name.to_owned(),
        component: ComponentRef {
            name: component.name.clone(),
            version: component.version.clone(),
            sha256: component.sha256.to_string(),
            wasm_path: component.wasm_path(data_dir),
            manifest: manifest.clone(),
        },
        secrets,
        settings: raw.settings.clone(),
        allow: raw.allow.clone(),
        max_body_bytes: raw.max_body_bytes,
        call_timeout: raw.call_timeout_ms.map(Duration::from_millis),
        max_attachment_bytes: raw
            .max_attachment_mb
            .map_or(DEFAULT_MAX_ATTACHMENT_BYTES, |mb| {
                mb.saturating_mul(1 << 20)
            }),
        state_quota: StateQuota {
            max_keys: raw.state_max_keys.unwrap_or(StateQuota::default().max_keys),
            max_bytes: raw
                .state_max_mb
                .map_or(StateQuota::default().max_bytes, |mb| {
                    mb.saturating_mul(1 << 20)
                }),
        },
    })
}

fn lower_agent(raw: &RawAgent, base: &Path) -> anyhow::Result<Arc<dyn Agent>> {
    let timeout = match raw.timeout_secs {
        None => Duration::from_secs(30),
        Some(secs) if secs.is_finite() && secs > 0.0 => Duration::from_secs_f64(secs),
        Some(secs) => bail!("agent.timeout_secs: {secs} is not a positive number of seconds"),
    };
    let max_history = raw.max_history.unwrap_or(20);
    let url = |key: &str, value: &Option<String>| -> anyhow::Result<url::Url> {
        let value = value
            .as_deref()
            .with_context(|| format!("agent.{key}: required for agent kind {:?}", raw.kind))?;
        url::Url::parse(value).with_context(|| format!("agent.{key}: {value:?} is not a URL"))
    };
    let unused = |keys: &[(&str, bool)]| -> anyhow::Result<()> {
        for (key, set) in keys {
            if *set {
                bail!("agent.{key}: not used by agent kind {:?}", raw.kind);
            }
        }
        Ok(())
    };
    match raw.kind.as_str() {
        "echo" => {
            unused(&[
                ("url", raw.url.is_some()),
                ("base_url", raw.base_url.is_some()),
                ("model", raw.model.is_some()),
                ("api_key", raw.api_key.is_some()),
                ("headers", !raw.headers.is_empty()),
            ])?;
            Ok(Arc::new(EchoAgent))
        }
        "http" => {
            unused(&[
                ("base_url", raw.base_url.is_some()),
                ("model", raw.model.is_some()),
                ("api_key", raw.api_key.is_some()),
            ])?;
            let mut headers = Vec::new();
            for (k, v) in &raw.headers {
                headers.push((
                    k.clone(),
                    resolve(v, base).with_context(|| format!("agent.headers.{k}"))?,
                ));
            }
            let agent = HttpAgent::new(HttpAgentConfig {
                url: url("url", &raw.url)?,
                headers,
                timeout,
                max_history,
            })
            .context("agent")?;
            Ok(Arc::new(agent))
        }
        "openai" => {
            unused(&[
                ("url", raw.url.is_some()),
                ("headers", !raw.headers.is_empty()),
            ])?;
            let api_key = raw
                .api_key
                .as_ref()
                .map(|k| resolve(k, base).context("agent.api_key"))
                .transpose()?;
            let model = raw
                .model
                .clone()
                .with_context(|| "agent.model: required for agent kind \"openai\"".to_owned())?;
            let agent = OpenAiAgent::new(OpenAiConfig {
                base_url: url("base_url", &raw.base_url)?,
                model,
                api_key,
                system_prompt: raw.system_prompt.clone(),
                max_history,
                timeout,
                temperature: raw.temperature,
                vision: raw.vision,
            })
            .context("agent")?;
            Ok(Arc::new(agent))
        }
        other => bail!(
            "agent.kind: unknown agent kind {other:?} (expected \"echo\", \"http\" or \"openai\")"
        ),
    }
}
