use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use serde_json::json;

use crate::config::ConfigFile;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The channel instance (its `[channels.<instance>]` name).
    instance: String,
    /// The message text.
    text: String,
    #[arg(long, short, value_name = "FILE", default_value = "switchboard.toml")]
    config: PathBuf,
    /// Daemon base URL; defaults to the config's `server.listen`.
    #[arg(long, value_name = "URL")]
    url: Option<String>,
}

/// Builds a realistic delivery for the instance's platform, signs it with the
/// configured secret exactly as the platform would, and posts it.
pub(crate) async fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let file = ConfigFile::load(&args.config)?;
    let config = match file.lower() {
        Ok(c) => c,
        Err(problems) => bail!("{} has problems:\n{problems}", args.config.display()),
    };
    let instance = config
        .instances
        .iter()
        .find(|i| i.name == args.instance)
        .with_context(|| {
            format!(
                "no [channels.{}] in {}",
                args.instance,
                args.config.display()
            )
        })?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .context("clock before 1970")?;
    let id = format!("{}{:x}", now.as_secs(), now.subsec_nanos());
    let body = payload(&instance.component.name, &args.text, now.as_secs(), &id)?;
    let scheme = &instance.component.manifest.verification.post;
    let secret = instance
        .secrets
        .get(scheme.secret_name())
        .with_context(|| {
            format!(
                "channels.{}.secrets.{} is not configured",
                instance.name,
                scheme.secret_name()
            )
        })?;
    let headers = switchboard_verify::sign(
        scheme,
        secret.as_bytes(),
        &body,
        i64::try_from(now.as_secs())?,
        &format!("msg_{id}"),
    )?;
    let base = match &args.url {
        Some(u) => u.trim_end_matches('/').to_owned(),
        None => {
            let mut addr = file.listen()?;
            if addr.port() == 0 {
                bail!(
                    "server.listen in {} uses port 0, so the daemon's port is only known once it runs; pass --url http://ADDRESS (the daemon prints `listening on ADDRESS`)",
                    args.config.display()
                );
            }
            if addr.ip().is_unspecified() {
                addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
            }
            format!("http://{addr}")
        }
    };
    let url = format!("{base}/webhooks/{}", instance.name);
    let client = reqwest::Client::new();
    let mut request = client
        .post(&url)
        .header("content-type", "application/json")
        .body(body);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let response = request
        .send()
        .await
        .with_context(|| format!("cannot reach the daemon at {url}"))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    println!("POST {url} -> {status}");
    if !text.is_empty() {
        println!("{text}");
    }
    if status.is_success() {
        println!(
            "delivered; see `switchboard messages --config {}` and the daemon's log",
            args.config.display()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::FAILURE)
    }
}

fn payload(component: &str, text: &str, now: u64, id: &str) -> anyhow::Result<Vec<u8>> {
    let value = match component {
        "whatsapp" => json!({
            "object": "whatsapp_business_account",
            "entry": [{ "id": "0", "changes": [{ "field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": { "display_phone_number": "15550000000", "phone_number_id": "100000000000000" },
                "contacts": [{ "profile": { "name": "Switchboard Test" }, "wa_id": "15550001234" }],
                "messages": [{ "from": "15550001234", "id": format!("wamid.test-{id}"),
                    "timestamp": now.to_string(), "type": "text", "text": { "body": text } }]
            }}]}]
        }),
        "telegram" => json!({
            "update_id": now,
            "message": { "message_id": now % 1_000_000, "date": now, "text": text,
                "from": { "id": 100000001, "is_bot": false, "first_name": "Switchboard", "last_name": "Test" },
                "chat": { "id": 100000001, "type": "private", "first_name": "Switchboard" } }
        }),
        "slack" => json!({
            "token": "test", "team_id": "T0TEST", "api_app_id": "A0TEST", "type": "event_callback",
            "event_id": format!("Ev{id}"), "event_time": now,
            "event": { "type": "message", "channel": "D0TEST", "user": "U0TEST", "text": text,
                "ts": format!("{now}.000100"), "channel_type": "im" }
        }),
        "webhook" => {
            json!({ "id": format!("test-{id}"), "conversation_id": "test", "sender_id": "switchboard-test", "text": text })
        }
        other => bail!(
            "send-test knows the payloads of whatsapp, telegram, slack and webhook components, not {other:?}"
        ),
    };
    Ok(serde_json::to_vec(&value)?)
}
