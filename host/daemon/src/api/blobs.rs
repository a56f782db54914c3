//! `GET /v1/blobs/SHA256`: a stored blob (an attachment a person sent, or one sent
//! out), streamed from its file.

use bytes::{Bytes, BytesMut};
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::{BodyExt as _, StreamBody};
use hyper::body::Frame;
use switchboard_store::BlobError;
use tokio::io::AsyncReadExt as _;

use crate::api::error::ApiError;
use crate::ingress::response::Body;
use crate::shared::Shared;

/// Bytes read from the file per frame.
const CHUNK: usize = 64 << 10;

pub(crate) async fn get(shared: &Shared, sha256: &str) -> Result<Response<Body>, ApiError> {
    let opened = match shared.blobs.open_read(sha256).await {
        Ok(opened) => opened,
        Err(BlobError::BadName(_)) => {
            return Err(ApiError::field(
                "sha256",
                "not a sha256 (64 lower-case hex digits)",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let (file, size) = opened.ok_or(ApiError::UnknownBlob)?;
    let frames = futures::stream::try_unfold(file, |mut file| async move {
        let mut chunk = BytesMut::with_capacity(CHUNK);
        if file.read_buf(&mut chunk).await? == 0 {
            return Ok(None);
        }
        Ok(Some((Frame::data(Bytes::from(chunk)), file)))
    });
    let mut response = Response::new(StreamBody::new(frames).boxed_unsync());
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    // The name is the content's hash: it never changes.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
    Ok(response)
}
