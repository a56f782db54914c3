//! What a file is, from its extension: its MIME type, and from that the kind of
//! attachment a channel sends it as.

use std::path::Path;

use switchboard_types::AttachmentKind;

/// Extensions and their MIME types; anything else is `application/octet-stream`.
const TYPES: [(&str, &str); 24] = [
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("mp4", "video/mp4"),
    ("mov", "video/quicktime"),
    ("webm", "video/webm"),
    ("3gp", "video/3gpp"),
    ("mp3", "audio/mpeg"),
    ("m4a", "audio/mp4"),
    ("aac", "audio/aac"),
    ("ogg", "audio/ogg"),
    ("opus", "audio/ogg"),
    ("wav", "audio/wav"),
    ("amr", "audio/amr"),
    ("pdf", "application/pdf"),
    ("txt", "text/plain"),
    ("csv", "text/csv"),
    ("json", "application/json"),
    ("zip", "application/zip"),
    ("doc", "application/msword"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
];

/// The MIME type of `path`, by its extension (case-insensitive).
pub(crate) fn mime_type(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    TYPES
        .iter()
        .find(|(e, _)| *e == extension)
        .map_or("application/octet-stream", |(_, mime)| mime)
}

/// How a file of `mime_type` is sent: pictures as images, sound as audio, film as
/// video, anything else as a document.
pub(crate) fn kind(mime_type: &str) -> AttachmentKind {
    match mime_type.split('/').next().unwrap_or_default() {
        "image" => AttachmentKind::Image,
        "audio" => AttachmentKind::Audio,
        "video" => AttachmentKind::Video,
        _ => AttachmentKind::Document,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_typed_by_its_extension_and_sent_as_its_kind() {
        for (file, mime, kind) in [
            ("chart.PNG", "image/png", AttachmentKind::Image),
            ("clip.mp4", "video/mp4", AttachmentKind::Video),
            ("note.ogg", "audio/ogg", AttachmentKind::Audio),
            ("report.pdf", "application/pdf", AttachmentKind::Document),
            (
                "data.bin",
                "application/octet-stream",
                AttachmentKind::Document,
            ),
            (
                "README",
                "application/octet-stream",
                AttachmentKind::Document,
            ),
        ] {
            let found = mime_type(Path::new(file));
            assert_eq!((found, super::kind(found)), (mime, kind), "{file}");
        }
    }
}
