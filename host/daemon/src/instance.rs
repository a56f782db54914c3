use std::collections::BTreeMap;
use std::sync::Arc;

use crate::access::Gate;

use anyhow::Context as _;
use switchboard_egress::{Egress, Policy, Secret};
use switchboard_runtime::{CallLimits, Channel};
use switchboard_store::{BlobStore, Store};
use switchboard_verify::{HandshakeVerifier, Verifier};

use crate::config::{InstanceConfig, ServerLimits};
use crate::loader::ChannelLoader;
use crate::metrics::{InstanceMetrics, Metrics};
use crate::mode::Mode;
use crate::services::Services;

/// How the platform's deliveries are checked, for an instance in webhook mode.
pub(crate) struct WebhookCheck {
    pub(crate) verifier: Verifier,
    pub(crate) handshake: Option<HandshakeVerifier>,
}

/// One configured channel instance, ready to serve: its component, verifiers,
/// egress policy and limits, all built once at startup.
pub(crate) struct Instance {
    pub(crate) name: String,
    /// The installed component this was built from (version and manifest).
    pub(crate) source: crate::config::ComponentRef,
    /// What the pipeline and the queues call, as the loader built it.
    pub(crate) channel: Arc<dyn Channel>,
    /// How deliveries are verified; `None` for an instance that receives by polling or
    /// over a session and has no verification secret configured, so no webhook.
    pub(crate) webhook: Option<WebhookCheck>,
    pub(crate) mode: Mode,
    pub(crate) services: Arc<Services>,
    pub(crate) limits: CallLimits,
    pub(crate) max_body_bytes: u64,
    /// The largest attachment kept in the blob store.
    pub(crate) max_attachment_bytes: u64,
    /// This instance's share of the in-flight webhook requests.
    pub(crate) in_flight: Arc<tokio::sync::Semaphore>,
    pub(crate) metrics: Arc<InstanceMetrics>,
    /// The access policy, with its rate and loop counters.
    pub(crate) gate: Gate,
}

/// The shared pieces every instance is built from.
pub(crate) struct BuildContext<'a> {
    pub(crate) loader: &'a dyn ChannelLoader,
    pub(crate) egress: &'a Egress,
    pub(crate) blobs: &'a BlobStore,
    pub(crate) store: &'a Store,
    pub(crate) server: &'a ServerLimits,
    pub(crate) metrics: &'a Metrics,
}

impl Instance {
    pub(crate) fn build(
        config: &InstanceConfig,
        cx: &BuildContext<'_>,
    ) -> anyhow::Result<Instance> {
        let name = &config.name;
        let manifest = &config.component.manifest;
        // Before anything is compiled: a component asking for more than the operator
        // allows never runs, whether at start or when an install is picked up.
        cx.server
            .ceilings
            .check(manifest)
            .with_context(|| format!("channels.{name}.component"))?;
        let secret = |key: &str| -> anyhow::Result<&[u8]> {
            config
                .secrets
                .get(key)
                .map(|v| v.as_bytes())
                .with_context(|| format!("channels.{name}: secret `{key}` is not configured (the verification scheme needs it)"))
        };
        let mut settings: BTreeMap<String, String> = manifest
            .settings
            .iter()
            .filter_map(|s| s.default.clone().map(|d| (s.name.clone(), d)))
            .collect();
        settings.extend(config.settings.clone());
        let mode = Mode::of(manifest, &settings)
            .map_err(|why| anyhow::anyhow!("channels.{name}.settings.{}: {why}", Mode::SETTING))?;
        // An instance that receives by polling or over a session serves its webhook
        // only when the operator configured the verification secret (Discord: slash
        // commands over HTTP beside the Gateway); without it there is nothing to
        // verify with, and no webhook.
        let scheme = &manifest.verification.post;
        let serves_webhook =
            mode == Mode::Webhook || config.secrets.contains_key(scheme.secret_name());
        let webhook = match serves_webhook {
            false => None,
            true => {
                let verifier =
                    Verifier::new(scheme, secret(scheme.secret_name())?).with_context(|| {
                        format!("channels.{name}: secret `{}`", scheme.secret_name())
                    })?;
                let handshake = match &manifest.verification.get {
                    Some(h) => Some(
                        HandshakeVerifier::new(h, secret(h.secret_name())?).with_context(|| {
                            format!("channels.{name}: secret `{}`", h.secret_name())
                        })?,
                    ),
                    None => None,
                };
                Some(WebhookCheck {
                    verifier,
                    handshake,
                })
            }
        };
        // Secrets the host uses to verify webhooks are never handed out as outbound
        // placeholders: no platform API needs them, and a component that could send
        // them anywhere could forge deliveries. They are still redacted everywhere.
        let mut verification_only: Vec<&str> = vec![scheme.secret_name()];
        if let Some(h) = &manifest.verification.get {
            verification_only.push(h.secret_name());
        }
        let secrets: BTreeMap<String, Secret> = config
            .secrets
            .iter()
            .filter(|(k, _)| !verification_only.contains(&k.as_str()))
            .map(|(k, v)| {
                let placed = Secret::new(v.clone()).placed(manifest.placement_of(k));
                (k.clone(), placed)
            })
            .collect();
        let withheld: Vec<String> = config
            .secrets
            .iter()
            .filter(|(k, _)| verification_only.contains(&k.as_str()))
            .map(|(_, v)| v.clone())
            .collect();
        let policy = Policy::new(&manifest.capabilities.http, &config.allow, secrets)
            .with_context(|| format!("channels.{name}.allow"))?;
        let loaded = cx.loader.load(config)?;
        let missing = match mode {
            Mode::Polling if !loaded.channel.has_polling_export() => Some(("polling", "polling")),
            Mode::Socket if !loaded.channel.has_session_export() => Some(("socket", "session")),
            _ => None,
        };
        if let Some((value, export)) = missing {
            anyhow::bail!(
                "channels.{name}.settings.{}: \"{value}\" needs a component that exports the {export} interface (switchboard:channel@0.2.2 or later); {} {} does not",
                Mode::SETTING,
                config.component.name,
                config.component.version
            );
        }

        let mut limits = CallLimits::default();
        if let Some(ms) = manifest.limits.call_timeout_ms {
            limits.deadline = std::time::Duration::from_millis(ms);
        }
        if let Some(t) = config.call_timeout {
            limits.deadline = t;
        }
        let max_body_bytes = config
            .max_body_bytes
            .or(manifest.limits.max_body_bytes)
            .unwrap_or(cx.server.default_max_body_bytes);

        let services = Arc::new(Services {
            instance: name.clone(),
            settings,
            egress: cx.egress.clone(),
            policy,
            withheld,
            store: cx.store.clone(),
            blobs: cx.blobs.clone(),
            state_quota: config.state_quota,
        });
        tracing::info!(
            instance = %name,
            component = %config.component.name,
            version = %config.component.version,
            wit = %loaded.wit_version.as_ref().map_or_else(|| "-".to_owned(), ToString::to_string),
            persistence_hook = loaded.channel.has_persistence_hook(),
            presence_hook = loaded.channel.has_presence_hook(),
            media_export = loaded.channel.has_media_export(),
            mode = ?mode,
            compiled_from_cache = loaded.from_cache,
            "channel instance ready"
        );
        Ok(Instance {
            name: name.clone(),
            source: config.component.clone(),
            channel: loaded.channel,
            webhook,
            mode,
            services,
            limits,
            max_body_bytes,
            max_attachment_bytes: config.max_attachment_bytes,
            in_flight: Arc::new(tokio::sync::Semaphore::new(
                (cx.server.max_in_flight * 3 / 4).max(1),
            )),
            metrics: cx.metrics.of(name),
            gate: Gate::new(config.access.clone()),
        })
    }
}
