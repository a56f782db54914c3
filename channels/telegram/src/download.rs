//! Downloading an attachment's file: `getFile` turns the `file_id` into a file
//! path, and the host fetches `/file/bot<token>/<file_path>` itself.

use serde_json::{Value, json};
use switchboard_channel_sdk::{Attachment, DeliveryFailure, Host, Request, join_url, secret};

use crate::bot_api;

/// How the Bot API describes a file a bot may not download (over 20 MB).
const TOO_BIG: &str = "file is too big";

/// `media.download-request`: asks `getFile` where the file of `attachment` lies
/// and returns the `GET` of its content, the token a placeholder in the path.
///
/// The Bot API keeps the path valid for at least an hour, longer than the host
/// takes to start the download.
pub(crate) fn download_request(
    host: &impl Host,
    attachment: &Attachment,
) -> Result<Request, DeliveryFailure> {
    if attachment.reference.is_empty() {
        return Err(DeliveryFailure::permanent(
            "getFile: the attachment has no file_id",
        ));
    }
    let api_base = bot_api::api_base(host);
    let body = json!({ "file_id": attachment.reference });
    let response = host
        .fetch(bot_api::call(&api_base, "getFile", &body))
        .map_err(|failure| DeliveryFailure::from(failure).context("getFile"))?;
    let file = bot_api::read_answer(&response).map_err(too_big)?;
    let path = file
        .get("file_path")
        .and_then(Value::as_str)
        .ok_or_else(|| DeliveryFailure::permanent("getFile: the answer names no file_path"))?;
    let path = encode_file_path(path)?;
    let url = join_url(
        &api_base,
        &format!("file/bot{}/{path}", secret("bot_token")),
    );
    Ok(Request::new("GET", url))
}

/// Says what a refusal of a large file means: the Bot API lets bots download
/// files of up to 20 MB, and asking again cannot change that.
fn too_big(failure: DeliveryFailure) -> DeliveryFailure {
    if !failure.retryable && failure.message.contains(TOO_BIG) {
        DeliveryFailure::permanent(format!(
            "getFile: the file is over Telegram's 20 MB bot download limit ({})",
            failure.message
        ))
    } else {
        failure.context("getFile")
    }
}

/// The file path as URL path text: relative, without dot segments or
/// backslashes (which could lead the download to another path of the API), and
/// every byte outside the unreserved set percent-encoded. Telegram's paths
/// (`photos/file_0.jpg`) pass unchanged.
///
/// The refusal never repeats the path: a Bot API server in local mode answers
/// with an absolute path on its disk, which holds the bot token.
fn encode_file_path(path: &str) -> Result<String, DeliveryFailure> {
    let unusable = || {
        DeliveryFailure::permanent(
            "getFile: the answer's file_path is not a relative path the API serves",
        )
    };
    if path.is_empty() || path.starts_with('/') || path.contains('\\') {
        return Err(unusable());
    }
    let mut encoded = String::with_capacity(path.len());
    for segment in path.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return Err(unusable());
        }
        if !encoded.is_empty() {
            encoded.push('/');
        }
        for byte in segment.bytes() {
            if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                encoded.push(char::from(byte));
            } else {
                encoded.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    Ok(encoded)
}

#[cfg(test)]
mod tests;
