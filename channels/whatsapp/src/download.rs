//! Downloading an attachment's file: `GET /{media-id}` turns the media id into a
//! short-lived URL, and the host fetches that URL itself with the access token.

use switchboard_channel_sdk::{Attachment, DeliveryFailure, Host, Request};

use crate::graph::{self, media};
use crate::outbound::api_base;

/// `media.download-request`: looks up where the file of `attachment` lies and
/// returns the authenticated `GET` of it.
///
/// The URL is valid for five minutes, far longer than the host takes to start the
/// download. A media id WhatsApp no longer knows (media expire after 30 days)
/// fails the lookup with a client error, which is permanent; 5xx, 429 and
/// WhatsApp's throttling codes are retried.
pub(crate) fn download_request(
    host: &impl Host,
    attachment: &Attachment,
) -> Result<Request, DeliveryFailure> {
    let media_id = attachment.reference.as_str();
    if !is_media_id(media_id) {
        return Err(DeliveryFailure::permanent(format!(
            "media id `{media_id}` is not one WhatsApp issues (letters, digits, `.`, `_`, `-`)"
        )));
    }
    let context = format!("look up media {media_id}");
    let response = host
        .fetch(media::lookup(&api_base(host), media_id))
        .map_err(|failure| DeliveryFailure::from(failure).context(&context))?;
    graph::check(&response).map_err(|failure| failure.context(&context))?;
    let url = media::download_url(&response.body)
        .ok_or_else(|| DeliveryFailure::permanent(format!("{context}: the answer has no url")))?;
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(DeliveryFailure::permanent(format!(
            "{context}: the answer's url is not an http(s) URL"
        )));
    }
    Ok(media::download(url))
}

/// Media ids are numeric; anything that could leave the path segment (`/`, `?`,
/// `#`, `%`, dot segments) is refused before it reaches a URL.
fn is_media_id(candidate: &str) -> bool {
    !candidate.is_empty()
        && candidate != "."
        && candidate != ".."
        && candidate
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests;
