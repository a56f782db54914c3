//! Sending replies: into the channel with Create Message
//! (`POST /channels/{channel_id}/messages`), or, for a slash command, as
//! follow-ups of its interaction (`POST /webhooks/{application_id}/{token}`).

use serde_json::{Map, Value, json};
use switchboard_channel_sdk::{DeliveryFailure, Host, Inbound, Level, Reply, split_text};

use crate::api::{self, MAX_CONTENT_UNITS};

/// Create Message accepts a `nonce` of at most 25 characters.
const MAX_NONCE_CHARS: usize = 25;

/// Sends `reply` and returns Discord's id of the first message sent.
///
/// Text over 2000 characters goes as several messages; only the first answers
/// the message replied to (`message_reference`, with `fail_if_not_exists: false`
/// so that a deleted message does not fail the reply). Each message carries a
/// `nonce` derived from the idempotency key with `enforce_nonce`, so a retry
/// within Discord's window returns the message already created instead of posting
/// it again; and when a reply of several messages fails half-way, the ids of
/// those sent are kept in instance state, so the host's retry sends only the rest.
///
/// The reply to a slash command goes as follow-ups of its interaction: the first
/// one replaces the "thinking..." Discord shows since the command was deferred.
/// The interaction token in the answered message's metadata is valid for 15
/// minutes; a follow-up after that fails for good (404).
///
/// Mentions in the text notify only the users named (`allowed_mentions`): an
/// agent's answer never pings `@everyone`, `@here` or a role.
///
/// Files are not sent yet: a reply with attachments fails for good rather than
/// going out without them.
pub(crate) fn respond(host: &impl Host, reply: &Reply) -> Result<Option<String>, DeliveryFailure> {
    if !reply.attachments.is_empty() {
        return Err(DeliveryFailure::permanent(format!(
            "this channel cannot send files to discord yet: the reply carries {} attachment(s) \
             and was not sent",
            reply.attachments.len()
        )));
    }
    if reply.text.trim().is_empty() {
        return Err(DeliveryFailure::permanent(
            "reply text is empty; discord rejects empty messages",
        ));
    }
    let route = Route::of(host, reply)?;
    let chunks = split_text(&reply.text, MAX_CONTENT_UNITS);
    let api_base = api::api_base(host);
    let progress_key = format!("reply-progress/{}", reply.idempotency_key);
    let track = chunks.len() > 1 && !reply.idempotency_key.is_empty();
    let mut sent = if track {
        load_progress(host, &progress_key)
    } else {
        Vec::new()
    };
    for (index, chunk) in chunks.iter().enumerate().skip(sent.len()) {
        let request = route.request(&api_base, chunk, index, &reply.idempotency_key);
        let response = host
            .fetch(request)
            .map_err(|failure| DeliveryFailure::from(failure).context(route.what()))?;
        let answer =
            api::read(&response).map_err(|failure| route.failure(response.status, failure))?;
        let id = answer.get("id").and_then(Value::as_str).map(str::to_owned);
        if id.is_none() {
            host.log(
                Level::Warn,
                &format!("{} succeeded without a message id", route.what()),
            );
        }
        sent.push(id);
        if track && let Err(reason) = save_progress(host, &progress_key, &sent) {
            host.log(
                Level::Warn,
                &format!("could not record reply progress; a retry may resend parts: {reason}"),
            );
        }
    }
    if track {
        host.state_delete(&progress_key);
    }
    Ok(sent.into_iter().next().flatten())
}

/// Where a reply goes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    /// A message in a channel, answering `reference` when set.
    Channel {
        channel_id: String,
        reference: Option<String>,
    },
    /// Follow-ups of a slash command's interaction.
    FollowUp {
        application_id: String,
        token: String,
    },
}

impl Route {
    fn of(host: &impl Host, reply: &Reply) -> Result<Self, DeliveryFailure> {
        let answered = reply.in_reply_to.as_ref().map(metadata).unwrap_or_default();
        let field = |key: &str| {
            answered
                .get(key)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|value| !value.is_empty())
        };
        if let Some(token) = field("interaction_token") {
            match field("application_id") {
                Some(application_id) if api::is_snowflake(application_id) => {
                    return Ok(Self::FollowUp {
                        application_id: application_id.to_owned(),
                        token: token.to_owned(),
                    });
                }
                _ => host.log(
                    Level::Warn,
                    "the slash command answered has no application id: replying in its channel \
                     instead of as a follow-up",
                ),
            }
        }
        let channel_id = reply.conversation_id.trim();
        if !api::is_snowflake(channel_id) {
            return Err(DeliveryFailure::permanent(format!(
                "conversation id {:?} is not a discord channel id",
                reply.conversation_id
            )));
        }
        let reference = reply
            .in_reply_to
            .as_ref()
            .filter(|_| field("interaction_token").is_none())
            .and_then(|message| {
                field("message_id").map(str::to_owned).or_else(|| {
                    message
                        .external_id
                        .rsplit_once(':')
                        .map(|(_, id)| id.to_owned())
                })
            })
            .filter(|id| api::is_snowflake(id));
        Ok(Self::Channel {
            channel_id: channel_id.to_owned(),
            reference,
        })
    }

    fn what(&self) -> &'static str {
        match self {
            Self::Channel { .. } => "create message",
            Self::FollowUp { .. } => "interaction follow-up",
        }
    }

    /// The request sending the `index`-th chunk of a reply.
    fn request(
        &self,
        api_base: &str,
        chunk: &str,
        index: usize,
        idempotency_key: &str,
    ) -> switchboard_channel_sdk::Request {
        match self {
            Self::Channel {
                channel_id,
                reference,
            } => {
                let mut body = json!({
                    "content": chunk,
                    "allowed_mentions": { "parse": ["users"], "replied_user": true },
                });
                if let (Some(message_id), 0) = (reference, index) {
                    body["message_reference"] =
                        json!({ "message_id": message_id, "fail_if_not_exists": false });
                }
                if !idempotency_key.is_empty() {
                    body["nonce"] = nonce(idempotency_key, index).into();
                    body["enforce_nonce"] = true.into();
                }
                api::bot_post_json(api_base, &format!("channels/{channel_id}/messages"), &body)
            }
            Self::FollowUp {
                application_id,
                token,
            } => {
                let body = json!({
                    "content": chunk,
                    "allowed_mentions": { "parse": ["users"] },
                });
                let path = format!("webhooks/{application_id}/{}", api::path_segment(token));
                api::post_json(api_base, &path, &body)
            }
        }
    }

    /// A failed answer, said in the route's terms.
    fn failure(&self, status: u16, failure: DeliveryFailure) -> DeliveryFailure {
        match self {
            Self::FollowUp { .. } if status == 404 => DeliveryFailure::permanent(format!(
                "the interaction token is no longer valid (discord accepts follow-ups for 15 \
                 minutes after the command): {}",
                failure.message
            ))
            .context(self.what()),
            _ => failure.context(self.what()),
        }
    }
}

/// The `nonce` of the `index`-th message of a reply: a 64-bit FNV-1a hash of the
/// idempotency key and the index, within Discord's 25 characters.
fn nonce(idempotency_key: &str, index: usize) -> String {
    let hash = idempotency_key
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
    let nonce = format!("{hash:016x}-{index}");
    nonce.chars().take(MAX_NONCE_CHARS).collect()
}

/// The metadata this channel emitted with a message; anything else reads as empty.
fn metadata(message: &Inbound) -> Map<String, Value> {
    match serde_json::from_str(&message.metadata) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// Progress lost or unreadable means starting over: at worst a part is sent twice
/// (and the nonce still stops that within Discord's window).
fn load_progress(host: &impl Host, key: &str) -> Vec<Option<String>> {
    host.state_get(key)
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

fn save_progress(host: &impl Host, key: &str, sent: &[Option<String>]) -> Result<(), String> {
    let value = serde_json::to_vec(sent).map_err(|err| err.to_string())?;
    host.state_set(key, &value)
}

#[cfg(test)]
mod tests;
