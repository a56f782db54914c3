//! Events API JSON: the `url_verification` handshake and `event_callback`
//! envelopes, handed by event type to [`messages`] and [`reactions`].

use serde::Deserialize;
use serde_json::{Map, Value};

use super::identity::Identity;
use super::{Delivery, Options, ParseError, Parsed, messages, put, reactions};

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    challenge: Option<String>,
    team_id: Option<String>,
    api_app_id: Option<String>,
    event_id: Option<String>,
    event_time: Option<u64>,
    /// Kept as JSON until its type is known: events this channel ignores come in
    /// shapes (e.g. `channel` as an object) that the message struct would reject.
    event: Option<Value>,
    authorizations: Option<Vec<Authorization>>,
}

#[derive(Deserialize)]
struct Authorization {
    user_id: Option<String>,
    #[serde(default)]
    is_bot: bool,
}

pub(super) fn parse(
    body: &Value,
    delivery: &Delivery<'_>,
    options: &Options,
) -> Result<Parsed, ParseError> {
    let envelope = Envelope::deserialize(body).map_err(ParseError::Unreadable)?;
    match envelope.kind.as_str() {
        "url_verification" => {
            return Ok(match envelope.challenge {
                Some(challenge) => Parsed::Challenge(challenge),
                None => Parsed::Nothing("url_verification without a challenge".to_owned()),
            });
        }
        "event_callback" => {}
        other => return Ok(Parsed::Nothing(format!("{other} envelope"))),
    }
    let Some(event) = &envelope.event else {
        return Err(ParseError::MissingField {
            payload: "event_callback",
            field: "event",
        });
    };
    let event_type = event
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let context = Context {
        envelope: &envelope,
        identity: Identity {
            bot_user: envelope
                .authorizations
                .iter()
                .flatten()
                .find(|a| a.is_bot)
                .and_then(|a| a.user_id.as_deref())
                .or(options.bot_user_id.as_deref()),
            app_id: envelope.api_app_id.as_deref(),
        },
        retry_num: delivery.retry_num,
        retry_reason: delivery.retry_reason,
    };
    match event_type {
        "message" | "app_mention" => messages::parse(&context, event),
        "reaction_added" | "reaction_removed" => reactions::parse(&context, event),
        other => Ok(Parsed::Nothing(format!("{other} event"))),
    }
}

/// The envelope and delivery details every emitted event records.
pub(super) struct Context<'a> {
    envelope: &'a Envelope,
    /// This app, as the envelope (or the operator's settings) names it.
    pub(super) identity: Identity<'a>,
    retry_num: Option<&'a str>,
    retry_reason: Option<&'a str>,
}

impl Context<'_> {
    /// The metadata of an event of `event_type` in `channel`.
    pub(super) fn metadata(&self, event_type: &str, channel: &str) -> Map<String, Value> {
        let e = self.envelope;
        let mut meta = Map::new();
        meta.insert("source".into(), "event".into());
        meta.insert("event_type".into(), event_type.into());
        put(&mut meta, "team_id", e.team_id.as_deref());
        put(&mut meta, "api_app_id", e.api_app_id.as_deref());
        put(&mut meta, "event_id", e.event_id.as_deref());
        put(&mut meta, "event_time", e.event_time);
        meta.insert("channel".into(), channel.into());
        if let Some(retry) = self.retry_num {
            // Slack sends a small integer; anything else is kept as sent.
            let value = retry
                .parse::<u32>()
                .map_or_else(|_| Value::from(retry), Value::from);
            meta.insert("retry_num".into(), value);
        }
        put(&mut meta, "retry_reason", self.retry_reason);
        meta
    }
}
