//! Uploading one file of a reply: `files.getUploadURLExternal` for an upload URL
//! and a file id, then the file itself, which the host streams from its blob
//! store to that URL.

use serde_json::Value;
use switchboard_channel_sdk::{
    AttachmentKind, Body, DeliveryFailure, Host, OutboundAttachment, Request, check_response,
};

use crate::file_urls::{self, UPLOAD_PATH};
use crate::web_api;

/// What Slack is told about content without a MIME type.
const UNKNOWN_TYPE: &str = "application/octet-stream";

/// Uploads `attachment` and returns its Slack file id, to be shared with
/// `files.completeUploadExternal`.
///
/// The upload URL carries its own authorisation, so the upload has no token.
/// It comes from an API answer and is checked like a download URL (see
/// [`file_urls`]) before the host streams the file to it.
pub(super) fn upload(
    host: &impl Host,
    api_base: &str,
    attachment: &OutboundAttachment,
) -> Result<String, DeliveryFailure> {
    let length = attachment.size.to_string();
    let request = web_api::call_form(
        api_base,
        "files.getUploadURLExternal",
        &[("filename", &file_name(attachment)), ("length", &length)],
    );
    let context = |failure: DeliveryFailure| failure.context("files.getUploadURLExternal");
    let response = host
        .fetch(request)
        .map_err(|failure| context(failure.into()))?;
    let answer = web_api::read_answer(&response).map_err(context)?;
    let field = |name: &str| {
        answer
            .get(name)
            .and_then(Value::as_str)
            .filter(|value| !value.is_empty())
    };
    let (Some(upload_url), Some(file_id)) = (field("upload_url"), field("file_id")) else {
        return Err(context(DeliveryFailure::permanent(
            "the answer has no upload_url or file_id",
        )));
    };
    file_urls::check(upload_url, UPLOAD_PATH, api_base)
        .map_err(|refused| context(DeliveryFailure::permanent(format!("upload URL: {refused}"))))?;

    let content_type = Some(attachment.mime_type.trim())
        .filter(|mime_type| !mime_type.is_empty())
        .unwrap_or(UNKNOWN_TYPE);
    let request = Request {
        headers: vec![("content-type".to_owned(), content_type.to_owned())],
        body: Body::Blob(attachment.blob.clone()),
        ..Request::new("POST", upload_url)
    };
    let context = |failure: DeliveryFailure| failure.context("upload");
    let response = host
        .fetch(request)
        .map_err(|failure| context(failure.into()))?;
    check_response(response.status, &response.headers, &response.body).map_err(context)?;
    Ok(file_id.to_owned())
}

/// The name Slack shows and derives the file type from: the attachment's, else
/// one made of its kind and MIME type (Slack requires a name).
pub(super) fn file_name(attachment: &OutboundAttachment) -> String {
    if let Some(name) = attachment
        .file_name
        .as_deref()
        .map(str::trim)
        .filter(|name| !name.is_empty())
    {
        return name.to_owned();
    }
    let stem = match attachment.kind {
        AttachmentKind::Image => "image",
        AttachmentKind::Audio => "audio",
        AttachmentKind::Voice => "voice",
        AttachmentKind::Video => "video",
        AttachmentKind::Document => "document",
        AttachmentKind::Sticker => "sticker",
        AttachmentKind::Other => "file",
    };
    match extension(&attachment.mime_type) {
        Some(extension) => format!("{stem}.{extension}"),
        None => stem.to_owned(),
    }
}

/// The usual extension of a MIME type: the subtype when it reads like one,
/// except where the two differ.
fn extension(mime_type: &str) -> Option<String> {
    let essence = mime_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let known = match essence.as_str() {
        "image/jpeg" => Some("jpg"),
        "audio/mpeg" => Some("mp3"),
        "audio/mp4" => Some("m4a"),
        "video/quicktime" => Some("mov"),
        "text/plain" => Some("txt"),
        _ => None,
    };
    if let Some(known) = known {
        return Some(known.to_owned());
    }
    let (_, subtype) = essence.split_once('/')?;
    (1..=5)
        .contains(&subtype.len())
        .then_some(subtype)
        .filter(|subtype| subtype.bytes().all(|byte| byte.is_ascii_alphanumeric()))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attachment(kind: AttachmentKind, mime_type: &str, name: Option<&str>) -> OutboundAttachment {
        OutboundAttachment {
            kind,
            mime_type: mime_type.to_owned(),
            size: 1,
            file_name: name.map(str::to_owned),
            caption: None,
            blob: "00".repeat(32),
        }
    }

    #[test]
    fn a_file_keeps_its_name_and_a_nameless_one_gets_a_typed_name() {
        let named = attachment(
            AttachmentKind::Document,
            "application/pdf",
            Some("invoice.pdf"),
        );
        assert_eq!(file_name(&named), "invoice.pdf");
        for (kind, mime_type, expected) in [
            (AttachmentKind::Image, "image/png", "image.png"),
            (AttachmentKind::Image, "image/jpeg", "image.jpg"),
            (AttachmentKind::Voice, "audio/ogg; codecs=opus", "voice.ogg"),
            (AttachmentKind::Audio, "audio/mpeg", "audio.mp3"),
            (AttachmentKind::Video, "video/mp4", "video.mp4"),
            (AttachmentKind::Document, "text/plain", "document.txt"),
            (
                AttachmentKind::Document,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "document",
            ),
            (AttachmentKind::Other, "", "file"),
        ] {
            assert_eq!(file_name(&attachment(kind, mime_type, None)), expected);
            assert_eq!(
                file_name(&attachment(kind, mime_type, Some("  "))),
                expected
            );
        }
    }
}
