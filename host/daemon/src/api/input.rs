//! The body of `POST /v1/messages`, checked field by field so that a refusal names
//! the field at fault (`attachments[1].data_base64`, say).

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::{Map, Value};
use switchboard_types::AttachmentKind;

use crate::api::error::ApiError;

/// Standard base64, with or without padding; line breaks are taken out first, since
/// many encoders wrap their output.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A send as the client asked for it, every field checked.
#[derive(Debug)]
pub(crate) struct SendInput {
    pub(crate) instance: String,
    pub(crate) conversation_id: String,
    pub(crate) text: String,
    pub(crate) thread_id: Option<String>,
    pub(crate) reply_to: Option<String>,
    pub(crate) attachments: Vec<AttachmentInput>,
}

/// One attachment, decoded.
#[derive(Debug)]
pub(crate) struct AttachmentInput {
    pub(crate) kind: AttachmentKind,
    pub(crate) mime_type: String,
    pub(crate) file_name: Option<String>,
    pub(crate) caption: Option<String>,
    pub(crate) data: Vec<u8>,
}

const FIELDS: [&str; 6] = [
    "instance",
    "conversation_id",
    "text",
    "thread_id",
    "attachments",
    "reply_to",
];
const ATTACHMENT_FIELDS: [&str; 5] = ["kind", "mime_type", "file_name", "caption", "data_base64"];

/// Reads and checks the body.
pub(crate) fn parse_send(body: &[u8]) -> Result<SendInput, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadBody(format!("the body is not JSON: {e}")))?;
    let Value::Object(mut fields) = value else {
        return Err(ApiError::BadBody(
            "the body is not a JSON object".to_owned(),
        ));
    };
    if let Some(unknown) = fields.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(ApiError::field(unknown.clone(), "unknown field"));
    }
    let instance = required(&mut fields, "instance", "instance")?;
    let conversation_id = required(&mut fields, "conversation_id", "conversation_id")?;
    let text = optional(&mut fields, "text", "text", true)?.unwrap_or_default();
    let thread_id = optional(&mut fields, "thread_id", "thread_id", false)?;
    let reply_to = optional(&mut fields, "reply_to", "reply_to", false)?;
    let attachments = match fields.remove("attachments") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| attachment(i, item))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(ApiError::field("attachments", "must be an array")),
    };
    if text.trim().is_empty() && attachments.is_empty() {
        return Err(ApiError::field(
            "text",
            "give text, attachments or both (text of only spaces counts as none)",
        ));
    }
    Ok(SendInput {
        instance,
        conversation_id,
        text,
        thread_id,
        reply_to,
        attachments,
    })
}

fn attachment(index: usize, item: Value) -> Result<AttachmentInput, ApiError> {
    let at = |name: &str| format!("attachments[{index}].{name}");
    let Value::Object(mut fields) = item else {
        return Err(ApiError::field(
            format!("attachments[{index}]"),
            "must be an object",
        ));
    };
    if let Some(unknown) = fields
        .keys()
        .find(|k| !ATTACHMENT_FIELDS.contains(&k.as_str()))
    {
        return Err(ApiError::field(at(unknown), "unknown field"));
    }
    let kind_name = required(&mut fields, "kind", &at("kind"))?;
    let kind = AttachmentKind::parse(&kind_name).ok_or_else(|| {
        ApiError::field(
            at("kind"),
            "unknown kind (image, audio, voice, video, document, sticker or other)",
        )
    })?;
    let mime_type = required(&mut fields, "mime_type", &at("mime_type"))?;
    if !is_mime_type(&mime_type) {
        return Err(ApiError::field(
            at("mime_type"),
            "not a MIME type like image/png",
        ));
    }
    let file_name = optional(&mut fields, "file_name", &at("file_name"), false)?;
    let caption = optional(&mut fields, "caption", &at("caption"), false)?;
    let encoded = required(&mut fields, "data_base64", &at("data_base64"))?;
    let data = decode(&encoded).map_err(|e| ApiError::field(at("data_base64"), e))?;
    Ok(AttachmentInput {
        kind,
        mime_type,
        file_name,
        caption,
        data,
    })
}

/// A non-empty string.
fn required(fields: &mut Map<String, Value>, key: &str, name: &str) -> Result<String, ApiError> {
    match fields.remove(key) {
        None | Some(Value::Null) => Err(ApiError::field(name, "required")),
        Some(Value::String(s)) if s.is_empty() => Err(ApiError::field(name, "must not be empty")),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(ApiError::field(name, "must be a string")),
    }
}

/// A string or nothing (`null` is nothing); an empty string is refused unless
/// `empty_ok`.
fn optional(
    fields: &mut Map<String, Value>,
    key: &str,
    name: &str,
    empty_ok: bool,
) -> Result<Option<String>, ApiError> {
    match fields.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() && !empty_ok => Err(ApiError::field(
            name,
            "must not be empty (leave it out instead)",
        )),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::field(name, "must be a string")),
    }
}

fn decode(encoded: &str) -> Result<Vec<u8>, String> {
    let data = if encoded.bytes().any(|b| b.is_ascii_whitespace()) {
        let compact: Vec<u8> = encoded
            .bytes()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        BASE64.decode(compact)
    } else {
        BASE64.decode(encoded)
    };
    let data = data.map_err(|e| format!("not base64: {e}"))?;
    if data.is_empty() {
        return Err("the file is empty".to_owned());
    }
    Ok(data)
}

/// `type/subtype`, optionally with parameters, in the characters RFC 6838 allows.
fn is_mime_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or_default().trim();
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    matches!(essence.split_once('/'), Some((t, s)) if token(t) && token(s))
        && !value.bytes().any(|b| b.is_ascii_control())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refused_field(body: Value) -> String {
        match parse_send(body.to_string().as_bytes()) {
            Err(ApiError::BadField { field, .. }) => field,
            other => panic!("expected a field error for {body}, got {other:?}"),
        }
    }

    #[test]
    fn a_complete_send_is_read_with_its_attachments_decoded() {
        let body = json!({
            "instance": "wa",
            "conversation_id": "106540352242922:16505551234",
            "text": "your report",
            "thread_id": "t-1",
            "reply_to": "wamid.1",
            "attachments": [{
                "kind": "document", "mime_type": "application/pdf",
                "file_name": "report.pdf", "caption": "Q3",
                "data_base64": "JVBERi0x\nLjQK"
            }, {
                "kind": "image", "mime_type": "image/png", "data_base64": "iVBORw"
            }]
        });
        let send = parse_send(body.to_string().as_bytes()).unwrap();
        assert_eq!(send.instance, "wa");
        assert_eq!(send.text, "your report");
        assert_eq!(send.thread_id.as_deref(), Some("t-1"));
        assert_eq!(send.reply_to.as_deref(), Some("wamid.1"));
        assert_eq!(send.attachments.len(), 2);
        assert_eq!(send.attachments[0].data, b"%PDF-1.4\n");
        assert_eq!(send.attachments[0].kind, AttachmentKind::Document);
        assert_eq!(send.attachments[0].file_name.as_deref(), Some("report.pdf"));
        assert_eq!(send.attachments[1].data, [0x89, b'P', b'N', b'G']);
    }

    #[test]
    fn attachments_alone_need_no_text() {
        let body = json!({
            "instance": "wa", "conversation_id": "c",
            "attachments": [{"kind": "voice", "mime_type": "audio/ogg; codecs=opus", "data_base64": "T2dnUw=="}]
        });
        let send = parse_send(body.to_string().as_bytes()).unwrap();
        assert_eq!(send.text, "");
        assert_eq!(send.attachments[0].kind, AttachmentKind::Voice);
    }

    #[test]
    fn each_refusal_names_the_field_at_fault() {
        let ok = json!({"instance": "wa", "conversation_id": "c", "text": "hi"});
        let with = |key: &str, value: Value| {
            let mut body = ok.clone();
            body[key] = value;
            body
        };
        let without = |key: &str| {
            let mut body = ok.clone();
            body.as_object_mut().unwrap().remove(key);
            body
        };
        let attachment = |fields: Value| with("attachments", json!([fields]));
        let cases = [
            (without("instance"), "instance"),
            (with("instance", json!("")), "instance"),
            (with("instance", json!(7)), "instance"),
            (without("conversation_id"), "conversation_id"),
            (without("text"), "text"),
            (with("text", json!("   ")), "text"),
            (with("thread_id", json!("")), "thread_id"),
            (with("reply_to", json!(1)), "reply_to"),
            (with("colour", json!("blue")), "colour"),
            (with("attachments", json!({})), "attachments"),
            (with("attachments", json!(["x"])), "attachments[0]"),
            (
                attachment(
                    json!({"kind": "hologram", "mime_type": "image/png", "data_base64": "AA=="}),
                ),
                "attachments[0].kind",
            ),
            (
                attachment(json!({"mime_type": "image/png", "data_base64": "AA=="})),
                "attachments[0].kind",
            ),
            (
                attachment(json!({"kind": "image", "mime_type": "png", "data_base64": "AA=="})),
                "attachments[0].mime_type",
            ),
            (
                attachment(
                    json!({"kind": "image", "mime_type": "image/png", "data_base64": "not base64!"}),
                ),
                "attachments[0].data_base64",
            ),
            (
                attachment(json!({"kind": "image", "mime_type": "image/png", "data_base64": ""})),
                "attachments[0].data_base64",
            ),
            (
                attachment(json!({"kind": "image", "mime_type": "image/png", "data": "AA=="})),
                "attachments[0].data",
            ),
        ];
        for (body, field) in cases {
            assert_eq!(refused_field(body.clone()), field, "{body}");
        }
    }

    #[test]
    fn a_body_that_is_not_a_json_object_is_refused_as_a_whole() {
        for body in [&b"not json"[..], b"[1, 2]", b""] {
            assert!(matches!(parse_send(body), Err(ApiError::BadBody(_))));
        }
    }
}
