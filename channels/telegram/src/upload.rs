//! Sending a stored file: which Bot API method takes it, and the
//! `multipart/form-data` request whose file part the host streams from its blob
//! store.

use switchboard_channel_sdk::{
    AttachmentKind, FormPart, OutboundAttachment, Request, join_url, secret,
};

use crate::bot_api::{self, Target};

/// `sendPhoto` refuses photos over 10 MB; larger images go as documents, which
/// also keeps them uncompressed. Counted in decimal megabytes to stay on the
/// safe side of whichever megabyte Telegram means.
const MAX_PHOTO_BYTES: u64 = 10_000_000;

/// How one kind of file is sent: the method and its file field, which also names
/// a file that has no name of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Send {
    pub(crate) method: &'static str,
    pub(crate) field: &'static str,
}

const PHOTO: Send = Send {
    method: "sendPhoto",
    field: "photo",
};
const DOCUMENT: Send = Send {
    method: "sendDocument",
    field: "document",
};
const AUDIO: Send = Send {
    method: "sendAudio",
    field: "audio",
};
const VOICE: Send = Send {
    method: "sendVoice",
    field: "voice",
};
const VIDEO: Send = Send {
    method: "sendVideo",
    field: "video",
};

/// The method for `attachment`. A sticker goes as a document: `sendSticker`
/// accepts only WEBP, TGS and WEBM files in Telegram's sticker dimensions.
pub(crate) fn send_of(attachment: &OutboundAttachment) -> Send {
    match attachment.kind {
        AttachmentKind::Image if attachment.size <= MAX_PHOTO_BYTES => PHOTO,
        AttachmentKind::Audio => AUDIO,
        AttachmentKind::Voice => VOICE,
        AttachmentKind::Video => VIDEO,
        AttachmentKind::Image
        | AttachmentKind::Document
        | AttachmentKind::Sticker
        | AttachmentKind::Other => DOCUMENT,
    }
}

/// The request sending `attachment` to `target`, with `caption` (at most
/// [`bot_api::MAX_CAPTION_UNITS`]) and quoting `reply_to`.
///
/// The file part always has a file name: Telegram reads a part without one as a
/// text field (a `file_id` or URL) rather than as an upload.
pub(crate) fn send_file(
    api_base: &str,
    target: &Target,
    attachment: &OutboundAttachment,
    caption: Option<&str>,
    reply_to: Option<i64>,
) -> Request {
    let send = send_of(attachment);
    let mut parts = Vec::from([FormPart::text("chat_id", target.chat_id.as_str())]);
    if let Some(thread_id) = target.thread_id {
        parts.push(FormPart::text("message_thread_id", thread_id.to_string()));
    }
    if let Some(message_id) = reply_to {
        parts.push(FormPart::text(
            "reply_parameters",
            bot_api::reply_parameters(message_id).to_string(),
        ));
    }
    if let Some(caption) = caption {
        parts.push(FormPart::text("caption", caption));
    }
    let content_type = Some(attachment.mime_type.as_str())
        .filter(|mime| !mime.is_empty() && header_safe(mime))
        .map(str::to_owned);
    parts.push(FormPart::blob(
        send.field,
        attachment.blob.as_str(),
        Some(file_name(attachment, send)),
        content_type,
    ));
    let path = format!("bot{}/{}", secret("bot_token"), send.method);
    Request::post_multipart(join_url(api_base, &path), parts)
}

/// The attachment's file name, else `<field>.<extension of its MIME type>`. The
/// host refuses quotes and control characters in a part header, so they become
/// `_` rather than failing the reply.
fn file_name(attachment: &OutboundAttachment, send: Send) -> String {
    match attachment.file_name.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() => name
            .chars()
            .map(|c| if c == '"' || c.is_control() { '_' } else { c })
            .collect(),
        _ => format!("{}.{}", send.field, extension(&attachment.mime_type)),
    }
}

fn header_safe(text: &str) -> bool {
    !text.chars().any(|c| c == '"' || c.is_control())
}

/// A file extension for `mime_type`. Telegram decides by content, but clients
/// show the name, and a document without a telling extension is hard to open.
fn extension(mime_type: &str) -> &'static str {
    let essence = mime_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "image/jpeg" | "image/jpg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "audio/mpeg" | "audio/mp3" => "mp3",
        "audio/ogg" | "audio/opus" => "ogg",
        "audio/mp4" | "audio/m4a" | "audio/x-m4a" => "m4a",
        "audio/wav" | "audio/x-wav" => "wav",
        "video/mp4" => "mp4",
        "video/quicktime" => "mov",
        "video/webm" => "webm",
        "application/pdf" => "pdf",
        "application/zip" => "zip",
        "application/json" => "json",
        "text/plain" => "txt",
        "text/csv" => "csv",
        _ => "bin",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use switchboard_channel_sdk::{Body, PartContent, header};

    use super::*;

    fn file(kind: AttachmentKind, mime_type: &str, file_name: Option<&str>) -> OutboundAttachment {
        OutboundAttachment {
            kind,
            mime_type: mime_type.to_owned(),
            size: 2048,
            file_name: file_name.map(str::to_owned),
            caption: None,
            blob: "ab".repeat(32),
        }
    }

    fn parts(request: &Request) -> &[FormPart] {
        match &request.body {
            Body::Multipart(parts) => parts,
            other => panic!("not multipart: {other:?}"),
        }
    }

    #[test]
    fn each_kind_goes_out_with_its_method_and_field() {
        let cases = [
            (AttachmentKind::Image, "sendPhoto", "photo"),
            (AttachmentKind::Document, "sendDocument", "document"),
            (AttachmentKind::Other, "sendDocument", "document"),
            (AttachmentKind::Sticker, "sendDocument", "document"),
            (AttachmentKind::Audio, "sendAudio", "audio"),
            (AttachmentKind::Voice, "sendVoice", "voice"),
            (AttachmentKind::Video, "sendVideo", "video"),
        ];
        for (kind, method, field) in cases {
            let send = send_of(&file(kind, "application/octet-stream", None));
            assert_eq!((send.method, send.field), (method, field), "{kind:?}");
        }
    }

    #[test]
    fn an_image_too_large_for_send_photo_goes_as_a_document() {
        let big = OutboundAttachment {
            size: 12_000_000,
            ..file(AttachmentKind::Image, "image/png", None)
        };
        assert_eq!(send_of(&big), DOCUMENT);
    }

    #[test]
    fn the_form_names_chat_thread_quote_caption_and_the_blob_part() {
        let target = Target {
            chat_id: "-1001234567890".to_owned(),
            thread_id: Some(44),
        };
        let attachment = file(AttachmentKind::Image, "image/png", None);
        let request = send_file(
            "https://api.telegram.org",
            &target,
            &attachment,
            Some("a chart"),
            Some(50),
        );
        assert_eq!(request.method, "POST");
        assert_eq!(
            request.url,
            "https://api.telegram.org/bot{{secret:bot_token}}/sendPhoto"
        );
        assert_eq!(
            header(&request.headers, "content-type"),
            None,
            "the host sets the boundary"
        );
        assert_eq!(
            parts(&request),
            [
                FormPart::text("chat_id", "-1001234567890"),
                FormPart::text("message_thread_id", "44"),
                FormPart::text(
                    "reply_parameters",
                    json!({"message_id": 50, "allow_sending_without_reply": true}).to_string()
                ),
                FormPart::text("caption", "a chart"),
                FormPart::blob(
                    "photo",
                    "ab".repeat(32),
                    Some("photo.png".to_owned()),
                    Some("image/png".to_owned())
                ),
            ]
        );
    }

    #[test]
    fn file_names_are_kept_made_up_or_made_safe_for_the_part_header() {
        let named = file(
            AttachmentKind::Document,
            "application/pdf",
            Some("Q3 report.pdf"),
        );
        assert_eq!(file_name(&named, send_of(&named)), "Q3 report.pdf");
        let quoted = file(
            AttachmentKind::Document,
            "text/plain",
            Some("say \"hi\"\n.txt"),
        );
        assert_eq!(file_name(&quoted, send_of(&quoted)), "say _hi__.txt");
        let voice = file(AttachmentKind::Voice, "audio/ogg; codecs=opus", Some("  "));
        assert_eq!(file_name(&voice, send_of(&voice)), "voice.ogg");
        let unknown = file(AttachmentKind::Other, "application/x-thing", None);
        assert_eq!(file_name(&unknown, send_of(&unknown)), "document.bin");
    }

    #[test]
    fn a_missing_or_unsafe_content_type_is_left_to_the_host() {
        let target = Target {
            chat_id: "@news".to_owned(),
            thread_id: None,
        };
        for mime in ["", "text/plain\r\nx-evil: 1"] {
            let request = send_file(
                "https://api.telegram.org",
                &target,
                &file(AttachmentKind::Document, mime, Some("a.txt")),
                None,
                None,
            );
            let parts = parts(&request);
            assert_eq!(parts.len(), 2, "{parts:?}");
            assert_eq!(parts[0], FormPart::text("chat_id", "@news"));
            assert_eq!(parts[1].content_type, None, "{mime:?}");
            assert!(matches!(parts[1].content, PartContent::Blob(_)));
        }
    }
}
