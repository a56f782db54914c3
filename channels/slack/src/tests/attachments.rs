//! Files shared with a message: references for the host to fetch later.

use switchboard_channel_sdk::{Attachment, AttachmentKind, Kind};

use super::*;

#[test]
fn an_image_with_text_is_an_image_message_with_its_caption() {
    let m = emitted("bolt-python-message-file_share.json");
    assert_eq!(m.kind, Kind::Image);
    assert_eq!(m.text.as_deref(), Some("Hi there!"));
    assert_eq!(
        m.attachments,
        [Attachment {
            kind: AttachmentKind::Image,
            mime_type: Some("image/png".to_owned()),
            size: Some(92582),
            file_name: Some("file.png".to_owned()),
            caption: None,
            reference: "https://files.slack.com/files-pri/T111-F111/file.png".to_owned(),
        }]
    );
    assert!(!m.metadata.contains("thumb_64"), "thumbnails are not kept");
}

#[test]
fn a_text_file_is_a_document() {
    let m = emitted("slack-web-message_file_share.json");
    assert_eq!(m.kind, Kind::Document);
    assert_eq!(m.attachments.len(), 1);
    let file = &m.attachments[0];
    assert_eq!(file.kind, AttachmentKind::Document);
    assert_eq!(file.mime_type.as_deref(), Some("text/plain"));
    assert_eq!(file.size, Some(12));
    assert_eq!(file.file_name.as_deref(), Some("namenamename.txt"));
    assert!(file.reference.ends_with("/namenamename.txt"));
}

#[test]
fn a_file_without_a_download_url_is_listed_but_not_attached() {
    let m = emitted("slack-web-message_file_share_slack_connect.json");
    assert!(m.attachments.is_empty());
    assert_eq!(m.text.as_deref(), Some("message message message"));
    let file = &metadata(&m)["files"][0];
    assert_eq!(file["id"], "F12345678");
    assert_eq!(file["file_access"], "check_file_info");
}
