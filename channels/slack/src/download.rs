//! `media.download-request`: how the host downloads a file shared in Slack.

use switchboard_channel_sdk::{Attachment, DeliveryFailure, Host, Request, bearer};

use crate::file_urls::{self, DOWNLOAD_PATH};
use crate::web_api::api_base;

/// Returns `GET <url_private>` with the bot token, which is what Slack asks for
/// private files; no lookup is needed, the event already carries the URL.
///
/// The URL comes from the event, so it is checked before the host is asked to
/// send the token to it (see [`file_urls`]): anything but Slack's file host
/// fails for good.
pub(crate) fn download_request(
    host: &impl Host,
    attachment: &Attachment,
) -> Result<Request, DeliveryFailure> {
    let url = attachment.reference.as_str();
    file_urls::check(url, DOWNLOAD_PATH, &api_base(host))
        .map_err(|refused| DeliveryFailure::permanent(format!("download refused: {refused}")))?;
    Ok(Request::new("GET", url).header("authorization", bearer("bot_token")))
}

#[cfg(test)]
mod tests;
