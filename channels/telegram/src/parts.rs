//! Cutting a reply into the Telegram messages that carry it, in order.
//!
//! The plan depends on the reply alone, so every retry of a reply plans the same
//! parts and the progress kept between attempts (a count of parts sent) stays
//! meaningful.

use switchboard_channel_sdk::{OutboundAttachment, Reply, split_text};

use crate::bot_api::{MAX_CAPTION_UNITS, MAX_TEXT_UNITS};

/// One Telegram message of a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part<'a> {
    /// A `sendMessage` of this text (at most [`MAX_TEXT_UNITS`]).
    Text(&'a str),
    /// A file, with a caption of at most [`MAX_CAPTION_UNITS`].
    File {
        attachment: &'a OutboundAttachment,
        caption: Option<&'a str>,
    },
}

/// The parts of `reply`. The reply's text becomes the caption of the first file
/// when it fits and that file has no caption of its own; otherwise it goes first,
/// as text (split at Telegram's limit). A file's own caption that is too long for
/// a caption goes as text right before the file.
pub(crate) fn plan(reply: &Reply) -> Vec<Part<'_>> {
    let text = reply.text.as_str();
    let text_is_caption = !text.is_empty()
        && fits_caption(text)
        && reply
            .attachments
            .first()
            .is_some_and(|first| own_caption(first).is_none());
    let mut parts = Vec::new();
    if !text_is_caption {
        parts.extend(split_text(text, MAX_TEXT_UNITS).into_iter().map(Part::Text));
    }
    for (index, attachment) in reply.attachments.iter().enumerate() {
        let caption = if index == 0 && text_is_caption {
            Some(text)
        } else {
            own_caption(attachment)
        };
        match caption {
            Some(long) if !fits_caption(long) => {
                parts.extend(split_text(long, MAX_TEXT_UNITS).into_iter().map(Part::Text));
                parts.push(Part::File {
                    attachment,
                    caption: None,
                });
            }
            caption => parts.push(Part::File {
                attachment,
                caption,
            }),
        }
    }
    parts
}

fn own_caption(attachment: &OutboundAttachment) -> Option<&str> {
    attachment.caption.as_deref().filter(|c| !c.is_empty())
}

/// Counted in UTF-16 code units, as [`split_text`] counts: within the limit in
/// those, a caption is within it in any count of characters.
fn fits_caption(text: &str) -> bool {
    text.encode_utf16().count() <= MAX_CAPTION_UNITS
}

#[cfg(test)]
mod tests {
    use switchboard_channel_sdk::AttachmentKind;

    use super::*;

    fn file(caption: Option<&str>) -> OutboundAttachment {
        OutboundAttachment {
            kind: AttachmentKind::Image,
            mime_type: "image/png".to_owned(),
            size: 10,
            file_name: None,
            caption: caption.map(str::to_owned),
            blob: "00".repeat(32),
        }
    }

    fn reply(text: &str, attachments: Vec<OutboundAttachment>) -> Reply {
        Reply {
            conversation_id: "42".to_owned(),
            text: text.to_owned(),
            attachments,
            ..Reply::default()
        }
    }

    /// The plan as `text` / `file(<caption>)` labels, for readable assertions.
    fn shape(reply: &Reply) -> Vec<String> {
        plan(reply)
            .iter()
            .map(|part| match part {
                Part::Text(text) => format!("text {}", text.chars().count()),
                Part::File { caption, .. } => format!("file {caption:?}"),
            })
            .collect()
    }

    #[test]
    fn short_text_captions_the_first_file() {
        let r = reply("here it is", vec![file(None), file(None)]);
        assert_eq!(shape(&r), ["file Some(\"here it is\")", "file None"]);
    }

    #[test]
    fn text_goes_first_when_the_first_file_has_a_caption() {
        let r = reply("see below", vec![file(Some("chart")), file(None)]);
        assert_eq!(shape(&r), ["text 9", "file Some(\"chart\")", "file None"]);
    }

    #[test]
    fn text_too_long_for_a_caption_goes_first_as_messages() {
        let text = "x".repeat(1025);
        let r = reply(&text, vec![file(None)]);
        assert_eq!(shape(&r), ["text 1025", "file None"]);
        let text = "é".repeat(1024);
        assert_eq!(
            shape(&reply(&text, vec![file(None)])),
            [format!("file Some({text:?})")],
            "1024 characters still fit"
        );
    }

    #[test]
    fn a_file_caption_too_long_goes_as_text_before_its_file() {
        let long = "y".repeat(2000);
        let r = reply("", vec![file(None), file(Some(&long))]);
        assert_eq!(shape(&r), ["file None", "text 2000", "file None"]);
    }

    #[test]
    fn text_only_and_empty_replies() {
        assert_eq!(shape(&reply("hi", Vec::new())), ["text 2"]);
        assert!(plan(&reply("", Vec::new())).is_empty());
        assert_eq!(
            shape(&reply("", vec![file(Some(""))])),
            ["file None"],
            "an empty caption is none"
        );
    }
}
