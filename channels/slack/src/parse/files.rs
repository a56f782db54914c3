//! The `files` of a message: its attachments, its kind and their summary in
//! metadata.

use serde_json::{Map, Value};
use switchboard_channel_sdk::{Attachment, AttachmentKind, Kind};

/// File fields kept in metadata. `url_private` needs the bot token to download,
/// so it is a reference, not a secret; `mode` and `file_access` say why a file
/// has none (a Slack Connect file must be looked up with `files.info` first).
///
/// `url_private` is the attachment's reference rather than
/// `url_private_download`: both serve the same bytes with the same token (the
/// latter only adds a `download/` segment and a `Content-Disposition` for
/// browsers), and `url_private` is the one every downloadable file carries.
const FILE_FIELDS: &[&str] = &[
    "id",
    "name",
    "title",
    "mimetype",
    "filetype",
    "size",
    "mode",
    "file_access",
    "url_private",
];

/// The files the host can fetch, in Slack's order. A file without `url_private`
/// has nothing to download with the bot token and is left out; it stays listed
/// in the metadata.
pub(super) fn attachments(files: &[Value]) -> Vec<Attachment> {
    files.iter().filter_map(attachment).collect()
}

fn attachment(file: &Value) -> Option<Attachment> {
    let text = |field: &str| {
        file.get(field)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let reference = text("url_private")?;
    let mime_type = text("mimetype");
    Some(Attachment {
        kind: attachment_kind(mime_type),
        mime_type: mime_type.map(str::to_owned),
        size: file.get("size").and_then(Value::as_u64),
        file_name: text("name").map(str::to_owned),
        caption: None,
        reference: reference.to_owned(),
    })
}

fn attachment_kind(mime_type: Option<&str>) -> AttachmentKind {
    match top_level_type(mime_type) {
        "image" => AttachmentKind::Image,
        "audio" => AttachmentKind::Audio,
        "video" => AttachmentKind::Video,
        _ => AttachmentKind::Document,
    }
}

/// A message with files takes the kind of its first file; the text is its caption.
pub(super) fn message_kind(files: &[Value]) -> Kind {
    let Some(file) = files.first() else {
        return Kind::Text;
    };
    match top_level_type(file.get("mimetype").and_then(Value::as_str)) {
        "image" => Kind::Image,
        "audio" => Kind::Audio,
        "video" => Kind::Video,
        _ => Kind::Document,
    }
}

fn top_level_type(mime_type: Option<&str>) -> &str {
    mime_type
        .unwrap_or_default()
        .split('/')
        .next()
        .unwrap_or_default()
}

/// The files as metadata: only the [`FILE_FIELDS`], never thumbnails or
/// previews.
pub(super) fn summaries(files: &[Value]) -> Value {
    files
        .iter()
        .map(|file| {
            let summary: Map<String, Value> = FILE_FIELDS
                .iter()
                .filter_map(|f| file.get(*f).map(|v| ((*f).to_owned(), v.clone())))
                .collect();
            Value::Object(summary)
        })
        .collect()
}
