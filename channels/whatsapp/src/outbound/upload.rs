//! Uploading a reply's file to the business number's media store.

use switchboard_channel_sdk::{DeliveryFailure, Host, OutboundAttachment};

use crate::graph::{self, media};

/// Sent when the agent gives no type: the API refuses it, with a message that
/// says why, rather than guessing a format.
const UNKNOWN_MIME_TYPE: &str = "application/octet-stream";

/// Uploads `attachment`'s blob for `phone_number_id` and returns its media id.
pub(super) fn upload(
    host: &impl Host,
    api_base: &str,
    phone_number_id: &str,
    attachment: &OutboundAttachment,
) -> Result<String, DeliveryFailure> {
    let mime_type = match attachment.mime_type.trim() {
        "" => UNKNOWN_MIME_TYPE,
        mime_type => mime_type,
    };
    let file_name = file_name_of(attachment, mime_type);
    let file = media::Upload {
        blob: &attachment.blob,
        mime_type,
        file_name: &file_name,
    };
    let failed = |failure: DeliveryFailure| failure.context(&format!("upload {mime_type}"));
    let response = host
        .fetch(media::upload(api_base, phone_number_id, file))
        .map_err(|failure| failed(failure.into()))?;
    graph::check(&response).map_err(failed)?;
    // A 2xx answer without an id will not grow one on a retry.
    media::uploaded_id(&response.body)
        .ok_or_else(|| failed(DeliveryFailure::permanent("the answer has no media id")))
}

/// The attachment's own name, else `attachment.<subtype>` for a plain subtype
/// (`image/png` gives `attachment.png`): the multipart file part needs a name.
fn file_name_of(attachment: &OutboundAttachment, mime_type: &str) -> String {
    if let Some(name) = attachment.file_name.as_deref().map(str::trim)
        && !name.is_empty()
    {
        return name.to_owned();
    }
    let subtype = mime_type
        .split(';')
        .next()
        .and_then(|essence| essence.split_once('/'))
        .map(|(_, subtype)| subtype.trim())
        .unwrap_or_default();
    let plain = !subtype.is_empty()
        && subtype.len() <= 5
        && subtype.bytes().all(|byte| byte.is_ascii_alphanumeric());
    if plain {
        format!("attachment.{subtype}")
    } else {
        "attachment".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use switchboard_channel_sdk::AttachmentKind;

    use super::*;

    #[test]
    fn unnamed_files_are_named_after_their_type() {
        let mut attachment = OutboundAttachment {
            kind: AttachmentKind::Image,
            mime_type: "image/png".into(),
            size: 1,
            file_name: None,
            caption: None,
            blob: "00".repeat(32),
        };
        assert_eq!(file_name_of(&attachment, "image/png"), "attachment.png");
        assert_eq!(
            file_name_of(&attachment, "audio/ogg; codecs=opus"),
            "attachment.ogg"
        );
        assert_eq!(
            file_name_of(
                &attachment,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            ),
            "attachment"
        );
        attachment.file_name = Some("chart.png".into());
        assert_eq!(file_name_of(&attachment, "image/png"), "chart.png");
    }
}
