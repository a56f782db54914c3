//! Which WhatsApp messages a reply becomes, in order.
//!
//! The order is fixed by the reply alone, so a retry of the same reply walks the
//! same steps and the progress kept per step index still applies. A text-only
//! reply becomes its text parts, numbered as they always were.

use switchboard_channel_sdk::{OutboundAttachment, Reply, split_text};

use crate::graph::TEXT_LIMIT;
use crate::graph::media::{CAPTION_LIMIT, MediaType};

/// One message of a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step<'a> {
    /// A text message.
    Text(&'a str),
    /// An attachment, uploaded and then sent as a media message.
    Media {
        attachment: &'a OutboundAttachment,
        caption: Option<&'a str>,
    },
}

/// The messages of `reply`: the reply's text goes as the caption of the first
/// attachment that can carry one, when that attachment has no caption of its own
/// and the text fits; otherwise it goes first, as text messages. An attachment's
/// own caption that its message cannot carry (audio has none; a caption may be
/// too long) follows it as text, so nothing the agent wrote is lost.
pub(super) fn plan(reply: &Reply) -> Vec<Step<'_>> {
    let text = reply.text.as_str();
    let captioned = reply
        .attachments
        .iter()
        .position(|attachment| MediaType::of(attachment.kind).has_caption())
        .filter(|&index| {
            !text.is_empty()
                && own_caption(&reply.attachments[index]).is_none()
                && fits_caption(text)
        });
    let mut steps = Vec::new();
    if captioned.is_none() {
        steps.extend(split_text(text, TEXT_LIMIT).into_iter().map(Step::Text));
    }
    for (index, attachment) in reply.attachments.iter().enumerate() {
        if captioned == Some(index) {
            steps.push(Step::Media {
                attachment,
                caption: Some(text),
            });
            continue;
        }
        let caption = own_caption(attachment);
        let carried = caption.filter(|caption| {
            MediaType::of(attachment.kind).has_caption() && fits_caption(caption)
        });
        steps.push(Step::Media {
            attachment,
            caption: carried,
        });
        if let (Some(caption), None) = (caption, carried) {
            steps.extend(split_text(caption, TEXT_LIMIT).into_iter().map(Step::Text));
        }
    }
    steps
}

fn own_caption(attachment: &OutboundAttachment) -> Option<&str> {
    attachment
        .caption
        .as_deref()
        .filter(|caption| !caption.is_empty())
}

/// Counted as the text limit is: in UTF-16 code units.
fn fits_caption(text: &str) -> bool {
    split_text(text, CAPTION_LIMIT).len() <= 1
}

#[cfg(test)]
mod tests {
    use switchboard_channel_sdk::AttachmentKind;

    use super::*;

    fn file(kind: AttachmentKind, caption: Option<&str>) -> OutboundAttachment {
        OutboundAttachment {
            kind,
            mime_type: "application/octet-stream".into(),
            size: 1,
            file_name: None,
            caption: caption.map(str::to_owned),
            blob: "00".repeat(32),
        }
    }

    fn reply(text: &str, attachments: Vec<OutboundAttachment>) -> Reply {
        Reply {
            text: text.into(),
            attachments,
            ..Reply::default()
        }
    }

    /// Each step as `text:<text>` or `<kind>:<caption or ->`.
    fn shape(reply: &Reply) -> Vec<String> {
        plan(reply)
            .iter()
            .map(|step| match step {
                Step::Text(text) => format!("text:{text}"),
                Step::Media {
                    attachment,
                    caption,
                } => format!("{:?}:{}", attachment.kind, caption.unwrap_or("-")),
            })
            .collect()
    }

    #[test]
    fn text_rides_on_the_first_attachment_that_can_carry_it() {
        let reply = reply(
            "Here it is.",
            vec![
                file(AttachmentKind::Voice, None),
                file(AttachmentKind::Image, None),
                file(AttachmentKind::Document, None),
            ],
        );
        assert_eq!(
            shape(&reply),
            ["Voice:-", "Image:Here it is.", "Document:-"]
        );
    }

    #[test]
    fn text_goes_first_when_no_caption_can_take_it() {
        let own = reply(
            "Here it is.",
            vec![file(AttachmentKind::Image, Some("Q3 chart"))],
        );
        assert_eq!(shape(&own), ["text:Here it is.", "Image:Q3 chart"]);

        let long = "x".repeat(CAPTION_LIMIT + 1);
        let too_long = reply(&long, vec![file(AttachmentKind::Video, None)]);
        assert_eq!(shape(&too_long), [format!("text:{long}"), "Video:-".into()]);

        let audio_only = reply("Listen.", vec![file(AttachmentKind::Audio, None)]);
        assert_eq!(shape(&audio_only), ["text:Listen.", "Audio:-"]);
    }

    #[test]
    fn captions_a_message_cannot_carry_follow_it_as_text() {
        let long = "y".repeat(CAPTION_LIMIT + 1);
        let reply = reply(
            "",
            vec![
                file(AttachmentKind::Audio, Some("the memo")),
                file(AttachmentKind::Image, Some(&long)),
            ],
        );
        assert_eq!(
            shape(&reply),
            [
                "Audio:-".to_owned(),
                "text:the memo".into(),
                "Image:-".into(),
                format!("text:{long}"),
            ]
        );
    }

    #[test]
    fn text_only_and_file_only_replies() {
        assert_eq!(shape(&reply("hi", vec![])), ["text:hi"]);
        assert!(plan(&reply("", vec![])).is_empty());
        assert_eq!(
            shape(&reply("", vec![file(AttachmentKind::Sticker, None)])),
            ["Sticker:-"]
        );
    }
}
