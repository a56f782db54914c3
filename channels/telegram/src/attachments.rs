//! The file a media message carries, as an [`Attachment`] whose reference is the
//! Telegram `file_id` (the `media` export turns it into a download with
//! `getFile` later; nothing is fetched here).
//!
//! Telegram puts one file in a message. The caption belongs to the message and
//! stays its text, so attachments carry no caption of their own.

use serde_json::Value;
use switchboard_channel_sdk::{Attachment, AttachmentKind};

use crate::message::Content;

/// Content fields that are files, with the attachment kind each becomes.
///
/// An `animation` (a GIF or silent clip) is a video: Telegram converts GIFs to
/// MP4 and says `video/mp4`. Only an animation whose MIME type is an image type
/// is an image (see [`kind_of`]).
const FILES: &[(&str, AttachmentKind)] = &[
    ("photo", AttachmentKind::Image),
    ("sticker", AttachmentKind::Sticker),
    ("animation", AttachmentKind::Video),
    ("video", AttachmentKind::Video),
    ("video_note", AttachmentKind::Video),
    ("voice", AttachmentKind::Voice),
    ("audio", AttachmentKind::Audio),
    ("document", AttachmentKind::Document),
];

/// The attachments of a message whose content is `content`: one for a file, none
/// for a location, a poll or anything else without a `file_id`.
pub(crate) fn of((field, _, value): Content<'_>) -> Vec<Attachment> {
    let Some(&(_, kind)) = FILES.iter().find(|(name, _)| *name == field) else {
        return Vec::new();
    };
    // A photo comes in several sizes; the largest is the original.
    let file = match value {
        Value::Array(sizes) => largest(sizes),
        other => Some(other),
    };
    let Some(Value::Object(file)) = file else {
        return Vec::new();
    };
    let Some(reference) = file.get("file_id").and_then(Value::as_str) else {
        return Vec::new();
    };
    let text = |name: &str| file.get(name).and_then(Value::as_str).map(str::to_owned);
    let mime_type = text("mime_type");
    Vec::from([Attachment {
        kind: kind_of(field, kind, mime_type.as_deref()),
        size: file.get("file_size").and_then(Value::as_u64),
        file_name: text("file_name"),
        mime_type,
        caption: None,
        reference: reference.to_owned(),
    }])
}

fn kind_of(field: &str, kind: AttachmentKind, mime_type: Option<&str>) -> AttachmentKind {
    if field == "animation" && mime_type.is_some_and(|mime| mime.starts_with("image/")) {
        AttachmentKind::Image
    } else {
        kind
    }
}

/// The largest of a photo's `PhotoSize`s: by pixels, then by bytes. Telegram
/// lists them smallest first, so on a tie the later one wins.
pub(crate) fn largest(sizes: &[Value]) -> Option<&Value> {
    let measure = |size: &Value| {
        let number = |name: &str| size.get(name).and_then(Value::as_u64).unwrap_or(0);
        (
            number("width").saturating_mul(number("height")),
            number("file_size"),
        )
    };
    sizes.iter().max_by_key(|size| measure(size))
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use switchboard_channel_sdk::Kind;

    use super::*;

    fn attachments(field: &'static str, value: &Value) -> Vec<Attachment> {
        of((field, Kind::Other, value))
    }

    #[test]
    fn the_largest_photo_size_is_the_attachment() {
        let sizes = json!([
            {"file_id": "small", "width": 90, "height": 90, "file_size": 2077},
            {"file_id": "big", "width": 1280, "height": 1280, "file_size": 162061},
            {"file_id": "medium", "width": 800, "height": 800, "file_size": 99248}
        ]);
        let found = attachments("photo", &sizes);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].reference, "big");
        assert_eq!(found[0].kind, AttachmentKind::Image);
        assert_eq!(found[0].size, Some(162061));
        assert_eq!(found[0].mime_type, None);
    }

    #[test]
    fn a_gif_animation_is_an_image_and_an_mp4_one_a_video() {
        let gif = json!({"file_id": "g", "mime_type": "image/gif"});
        assert_eq!(
            attachments("animation", &gif)[0].kind,
            AttachmentKind::Image
        );
        let mp4 = json!({"file_id": "m", "mime_type": "video/mp4"});
        assert_eq!(
            attachments("animation", &mp4)[0].kind,
            AttachmentKind::Video
        );
    }

    #[test]
    fn content_without_a_file_id_has_no_attachment() {
        assert!(attachments("location", &json!({"latitude": 1.0})).is_empty());
        assert!(attachments("document", &json!({"file_name": "x"})).is_empty());
        assert!(attachments("photo", &json!([])).is_empty());
    }
}
