//! Secrets in frames sent over a session: filled in only in the JSON field a
//! placement names, as the field's whole value, towards the origins it names.

use serde_json::Value;
use switchboard_types::FetchError;
use url::Origin;

use crate::placeholder;
use crate::placement::{Spot, allow};
use crate::policy::{GrantedBy, Policy};

/// Where a session is connected, as placements see it: the origin of the URL's
/// `http`/`https` twin, and whether an operator grant let it through.
#[derive(Debug, Clone)]
pub struct SessionGrant {
    pub(crate) origin: Origin,
    pub(crate) granted_by: GrantedBy,
}

impl Policy {
    /// `frame` with its `{{secret:NAME}}` placeholders filled in, or a refusal. A frame
    /// without placeholders is returned as it is. A placeholder is accepted only as
    /// the whole value of a string field that one of the secret's placements names
    /// (`frame_field`), towards an origin that placement names (or under an
    /// operator's grant); anywhere else the frame is refused, so a channel cannot
    /// write a secret into a message's text. The filled frame is JSON re-serialised.
    pub fn fill_frame(&self, frame: &str, session: &SessionGrant) -> Result<String, FetchError> {
        match placeholder::find(frame) {
            Ok(found) if found.is_empty() => return Ok(frame.to_owned()),
            Ok(_) => {}
            Err(_) => {
                return Err(FetchError::Invalid(
                    "a `{{secret:` in the frame is not closed".to_owned(),
                ));
            }
        }
        let mut value: Value = serde_json::from_str(frame).map_err(|_| {
            FetchError::Denied(
                "a frame with a secret placeholder must be JSON, with the placeholder as a field's value"
                    .to_owned(),
            )
        })?;
        let operator = session.granted_by == GrantedBy::Operator;
        fill(
            self,
            &mut value,
            &mut String::new(),
            &session.origin,
            operator,
        )?;
        Ok(value.to_string())
    }
}

fn fill(
    policy: &Policy,
    value: &mut Value,
    pointer: &mut String,
    origin: &Origin,
    operator: bool,
) -> Result<(), FetchError> {
    match value {
        Value::String(text) => {
            let found = placeholder::find(text).map_err(|_| {
                FetchError::Invalid(format!("an unclosed `{{{{secret:` at {pointer}"))
            })?;
            let Some(first) = found.first() else {
                return Ok(());
            };
            let name = first.name.to_owned();
            let secret = policy
                .secret(&name)
                .ok_or_else(|| FetchError::Denied(format!("unknown secret {name:?}")))?;
            let spot = Spot::FrameField {
                pointer,
                value: text,
            };
            allow(&name, policy.placements(&name), &spot, origin, operator)
                .map_err(FetchError::Denied)?;
            *text = secret.expose().to_owned();
            Ok(())
        }
        Value::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{index}"));
                fill(policy, item, pointer, origin, operator)?;
                pointer.truncate(len);
            }
            Ok(())
        }
        Value::Object(fields) => {
            for (key, item) in fields.iter_mut() {
                if key.contains("{{secret:") {
                    return Err(FetchError::Denied(
                        "a secret placeholder in a frame's field name".to_owned(),
                    ));
                }
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                fill(policy, item, pointer, origin, operator)?;
                pointer.truncate(len);
            }
            Ok(())
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use switchboard_types::HttpCapability;

    use super::*;
    use crate::{Secret, SecretPlacement};

    const TOKEN: &str = "MTIz.discord-bot-token";

    fn policy() -> Policy {
        let capability = |origin: &str| HttpCapability {
            origin: origin.to_owned(),
            path_prefix: "/".to_owned(),
            methods: Vec::new(),
        };
        let placement: SecretPlacement = serde_json::from_value(serde_json::json!({
            "frame_field": "/d/token", "origins": ["https://gateway.discord.gg"]
        }))
        .unwrap();
        let secrets = BTreeMap::from([(
            "bot_token".to_owned(),
            Secret::new(TOKEN).placed(vec![placement]),
        )]);
        Policy::new(
            &[
                capability("https://gateway.discord.gg"),
                capability("https://discord.com"),
            ],
            &[],
            secrets,
        )
        .unwrap()
    }

    fn session(origin: &str) -> SessionGrant {
        SessionGrant {
            origin: url::Url::parse(origin).unwrap().origin(),
            granted_by: GrantedBy::Manifest,
        }
    }

    #[test]
    fn the_token_goes_only_into_the_placed_field_towards_the_placed_origin() {
        let policy = policy();
        let identify = r#"{"op":2,"d":{"token":"{{secret:bot_token}}","intents":37376}}"#;
        let filled = policy
            .fill_frame(identify, &session("https://gateway.discord.gg"))
            .unwrap();
        let parsed: Value = serde_json::from_str(&filled).unwrap();
        assert_eq!(parsed["d"]["token"], TOKEN);
        assert_eq!(parsed["d"]["intents"], 37376);

        // The same frame to another origin keeps the secret home.
        let elsewhere = policy.fill_frame(identify, &session("https://discord.com"));
        assert!(matches!(elsewhere, Err(FetchError::Denied(why)) if why.contains("/d/token")));

        // In another field (a message's text), or with text around it: refused.
        for frame in [
            r#"{"op":0,"d":{"content":"{{secret:bot_token}}"}}"#,
            r#"{"op":2,"d":{"token":"Bot {{secret:bot_token}}"}}"#,
            r#"{"op":2,"d":{"token":["{{secret:bot_token}}"]}}"#,
            r#"{"{{secret:bot_token}}":1}"#,
            r#"not json {{secret:bot_token}}"#,
        ] {
            let refused = policy.fill_frame(frame, &session("https://gateway.discord.gg"));
            assert!(
                matches!(refused, Err(FetchError::Denied(_))),
                "{frame}: {refused:?}"
            );
        }
        let unknown = policy.fill_frame(
            r#"{"d":{"token":"{{secret:other}}"}}"#,
            &session("https://gateway.discord.gg"),
        );
        assert!(matches!(unknown, Err(FetchError::Denied(why)) if why.contains("other")));
    }

    #[test]
    fn a_frame_without_placeholders_goes_as_written() {
        let frame = r#"{"op":1,  "d":251}"#;
        assert_eq!(
            policy()
                .fill_frame(frame, &session("https://discord.com"))
                .unwrap(),
            frame
        );
    }
}
