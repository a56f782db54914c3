//! The Graph API wire format of media: looking up a media id's download URL,
//! uploading a file, and the message that sends an uploaded file.
//!
//! Meta documents these at
//! https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media (the
//! lookup answers `{"url", "mime_type", "sha256", "file_size", "id",
//! "messaging_product"}`, the upload `{"id"}`) and
//! https://developers.facebook.com/docs/whatsapp/cloud-api/messages (image, video,
//! audio and document messages by media id).

use serde_json::{Map, Value, json};
use switchboard_channel_sdk::{AttachmentKind, FormPart, Request, bearer, join_url};

use super::{REQUEST_TIMEOUT_MS, TOKEN_SECRET, envelope};
use crate::conversation::Peer;

/// Longest caption the API accepts on an image, video or document.
pub(crate) const CAPTION_LIMIT: usize = 1024;

/// Uploads stream up to 100 MB from the host's blob store; the host caps this at
/// its own maximum.
const UPLOAD_TIMEOUT_MS: u32 = 120_000;

/// What the API calls the kinds of media message it sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MediaType {
    Image,
    Video,
    Audio,
    Document,
}

impl MediaType {
    /// The message type an attachment goes out as. The contract's kinds the API
    /// has no message type for by id go out as the nearest one that shows the
    /// file: a sticker as an image, a voice note as audio, anything else as a
    /// document.
    pub(crate) fn of(kind: AttachmentKind) -> Self {
        match kind {
            AttachmentKind::Image | AttachmentKind::Sticker => Self::Image,
            AttachmentKind::Video => Self::Video,
            AttachmentKind::Audio | AttachmentKind::Voice => Self::Audio,
            AttachmentKind::Document | AttachmentKind::Other => Self::Document,
        }
    }

    /// The `type` of the message and the key of its media object.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Video => "video",
            Self::Audio => "audio",
            Self::Document => "document",
        }
    }

    /// Audio messages have no caption.
    pub(crate) fn has_caption(self) -> bool {
        self != Self::Audio
    }
}

/// `GET {api_base}/{media_id}`: where the file of a media id can be downloaded.
pub(crate) fn lookup(api_base: &str, media_id: &str) -> Request {
    Request::new("GET", join_url(api_base, media_id))
        .header("authorization", bearer(TOKEN_SECRET))
        .timeout_ms(REQUEST_TIMEOUT_MS)
}

/// The `url` of a lookup answer; `None` when it names none.
pub(crate) fn download_url(body: &[u8]) -> Option<String> {
    let body: Value = serde_json::from_slice(body).ok()?;
    body.get("url")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|url| !url.is_empty())
        .map(str::to_owned)
}

/// The `GET` of a file's bytes at a looked-up URL, which wants the same bearer
/// token as the API.
pub(crate) fn download(url: String) -> Request {
    Request::new("GET", url).header("authorization", bearer(TOKEN_SECRET))
}

/// A file to upload: its stored blob and how to describe it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Upload<'a> {
    pub(crate) blob: &'a str,
    pub(crate) mime_type: &'a str,
    pub(crate) file_name: &'a str,
}

/// `POST {api_base}/{phone_number_id}/media` of a stored blob as multipart form
/// data; the host streams the blob into the `file` part.
pub(crate) fn upload(api_base: &str, phone_number_id: &str, file: Upload<'_>) -> Request {
    let url = join_url(api_base, &format!("{phone_number_id}/media"));
    // `type` names the format only: parameters such as `codecs=opus` are not in
    // the API's list of supported types, while the part itself keeps them.
    let essence = file.mime_type.split(';').next().unwrap_or_default().trim();
    let parts = vec![
        FormPart::text("messaging_product", "whatsapp"),
        FormPart::text("type", essence),
        FormPart::blob(
            "file",
            file.blob,
            Some(file.file_name.to_owned()),
            Some(file.mime_type.to_owned()),
        ),
    ];
    Request::post_multipart(url, parts)
        .header("authorization", bearer(TOKEN_SECRET))
        .timeout_ms(UPLOAD_TIMEOUT_MS)
}

/// The media id an upload created: its `id`.
pub(crate) fn uploaded_id(body: &[u8]) -> Option<String> {
    let body: Value = serde_json::from_slice(body).ok()?;
    body.get("id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
}

/// What a media message shows: the uploaded media, and what is said about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Media<'a> {
    pub(crate) media_type: MediaType,
    pub(crate) media_id: &'a str,
    /// Dropped for audio, which has none.
    pub(crate) caption: Option<&'a str>,
    /// Sent for documents only; the other types show no name.
    pub(crate) file_name: Option<&'a str>,
}

/// The body of a media message to `peer`, quoting `reply_to` when given.
pub(crate) fn media_message(peer: Peer<'_>, media: Media<'_>, reply_to: Option<&str>) -> Value {
    let mut object = Map::new();
    object.insert("id".into(), json!(media.media_id));
    if let Some(caption) = media.caption.filter(|_| media.media_type.has_caption()) {
        object.insert("caption".into(), json!(caption));
    }
    if let Some(name) = media
        .file_name
        .filter(|_| media.media_type == MediaType::Document)
    {
        object.insert("filename".into(), json!(name));
    }
    envelope(
        peer,
        media.media_type.name(),
        Value::Object(object),
        reply_to,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn media(media_type: MediaType) -> Media<'static> {
        Media {
            media_type,
            media_id: "4490709327384033",
            caption: Some("the chart"),
            file_name: Some("q3.pdf"),
        }
    }

    #[test]
    fn each_kind_goes_out_as_the_nearest_message_type() {
        let cases = [
            (AttachmentKind::Image, "image"),
            (AttachmentKind::Sticker, "image"),
            (AttachmentKind::Video, "video"),
            (AttachmentKind::Audio, "audio"),
            (AttachmentKind::Voice, "audio"),
            (AttachmentKind::Document, "document"),
            (AttachmentKind::Other, "document"),
        ];
        for (kind, name) in cases {
            assert_eq!(MediaType::of(kind).name(), name, "{kind:?}");
        }
    }

    #[test]
    fn media_messages_match_the_documented_shapes() {
        let user = Peer::User("16505551234");
        assert_eq!(
            media_message(user, media(MediaType::Image), None),
            json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "16505551234",
                "type": "image",
                "image": { "id": "4490709327384033", "caption": "the chart" },
            })
        );
        assert_eq!(
            media_message(user, media(MediaType::Document), Some("wamid.A"))["document"],
            json!({ "id": "4490709327384033", "caption": "the chart", "filename": "q3.pdf" })
        );
        let audio = media_message(user, media(MediaType::Audio), Some("wamid.A"));
        assert_eq!(audio["audio"], json!({ "id": "4490709327384033" }));
        assert_eq!(audio["context"], json!({ "message_id": "wamid.A" }));
        assert_eq!(
            media_message(user, media(MediaType::Video), None)["video"],
            json!({ "id": "4490709327384033", "caption": "the chart" })
        );
    }

    #[test]
    fn uploads_name_the_format_without_parameters() {
        let request = upload(
            "https://graph.facebook.com/v23.0/",
            "106540352242922",
            Upload {
                blob: "ab",
                mime_type: "audio/ogg; codecs=opus",
                file_name: "voice.ogg",
            },
        );
        assert_eq!(
            request.url,
            "https://graph.facebook.com/v23.0/106540352242922/media"
        );
        let switchboard_channel_sdk::Body::Multipart(parts) = &request.body else {
            panic!("multipart expected, got {:?}", request.body)
        };
        assert_eq!(parts[1], FormPart::text("type", "audio/ogg"));
        assert_eq!(
            parts[2].content_type.as_deref(),
            Some("audio/ogg; codecs=opus")
        );
    }

    #[test]
    fn answers_without_the_expected_field_give_none() {
        assert_eq!(download_url(b"{\"url\":\"  \"}"), None);
        assert_eq!(download_url(b"not json"), None);
        assert_eq!(uploaded_id(b"{\"id\":\"\"}"), None);
        assert_eq!(uploaded_id(b"{\"success\":true}"), None);
    }
}
