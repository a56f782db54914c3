//! `multipart/form-data` bodies (RFC 7578) assembled by the host from the parts a
//! guest describes, so that a file part can refer to a stored blob instead of
//! carrying its bytes through guest memory.

use sha2::{Digest, Sha256};
use switchboard_types::FetchError;

/// One part as the guest described it.
pub(crate) struct Part {
    pub(crate) name: String,
    pub(crate) file_name: Option<String>,
    pub(crate) content_type: Option<String>,
    pub(crate) content: Content,
}

pub(crate) enum Content {
    Text(String),
    Bytes(Vec<u8>),
    Blob(String),
}

/// An assembled body and the `content-type` that names its boundary.
pub(crate) struct Assembled {
    pub(crate) body: Vec<u8>,
    pub(crate) content_type: String,
}

/// The answer to a body that refers to a blob: this host keeps no blob store yet,
/// so no blob can be found.
pub(crate) fn unknown_blob(blob: &str) -> FetchError {
    FetchError::Invalid(format!("blob {blob:?} is not stored on this host"))
}

/// Assembles the parts in order. Names, file names and content types must not break
/// out of their header line; a blob part is refused with [`unknown_blob`].
pub(crate) fn assemble(parts: Vec<Part>) -> Result<Assembled, FetchError> {
    let mut contents = Vec::with_capacity(parts.len());
    for part in &parts {
        for (what, value) in [
            ("name", Some(part.name.as_str())),
            ("file name", part.file_name.as_deref()),
            ("content type", part.content_type.as_deref()),
        ] {
            if let Some(value) = value
                && value.chars().any(|c| c.is_control() || c == '"')
            {
                return Err(FetchError::Invalid(format!(
                    "multipart part {:?}: the {what} contains a quote or a control character",
                    part.name
                )));
            }
        }
        contents.push(match &part.content {
            Content::Text(text) => text.as_bytes(),
            Content::Bytes(bytes) => bytes.as_slice(),
            Content::Blob(blob) => return Err(unknown_blob(blob)),
        });
    }
    // A boundary derived from the content cannot occur in it (that would take a
    // sha256 preimage), and the same parts always give the same bytes.
    let mut hash = Sha256::new();
    for content in &contents {
        hash.update(
            u64::try_from(content.len())
                .unwrap_or(u64::MAX)
                .to_le_bytes(),
        );
        hash.update(content);
    }
    let boundary = format!("switchboard-{}", &hex::encode(hash.finalize())[..40]);
    let mut body = Vec::new();
    for (part, content) in parts.iter().zip(contents) {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let mut disposition = format!("Content-Disposition: form-data; name=\"{}\"", part.name);
        if let Some(file_name) = &part.file_name {
            disposition.push_str(&format!("; filename=\"{file_name}\""));
        }
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(b"\r\n");
        if let Some(content_type) = &part.content_type {
            body.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Ok(Assembled {
        body,
        content_type: format!("multipart/form-data; boundary={boundary}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(name: &str, value: &str) -> Part {
        Part {
            name: name.to_owned(),
            file_name: None,
            content_type: None,
            content: Content::Text(value.to_owned()),
        }
    }

    #[test]
    fn parts_are_framed_in_order_under_the_announced_boundary() {
        let file = Part {
            name: "document".to_owned(),
            file_name: Some("a.txt".to_owned()),
            content_type: Some("text/plain".to_owned()),
            content: Content::Bytes(b"hello\r\n".to_vec()),
        };
        let assembled = assemble(vec![text("chat_id", "42"), file]).unwrap();
        let boundary = assembled
            .content_type
            .strip_prefix("multipart/form-data; boundary=")
            .unwrap();
        let expected = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n42\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"document\"; filename=\"a.txt\"\r\n\
             Content-Type: text/plain\r\n\r\nhello\r\n\r\n--{boundary}--\r\n"
        );
        assert_eq!(String::from_utf8(assembled.body).unwrap(), expected);
    }

    #[test]
    fn a_name_cannot_inject_headers_and_a_blob_is_not_found() {
        let error = assemble(vec![text("a\"\r\nx-evil: 1", "v")])
            .err()
            .expect("refused");
        assert!(matches!(error, FetchError::Invalid(why) if why.contains("control character")));
        let blob = Part {
            content: Content::Blob("ab".repeat(32)),
            ..text("photo", "")
        };
        let error = assemble(vec![blob]).err().expect("refused");
        assert!(matches!(error, FetchError::Invalid(why) if why.contains("not stored")));
    }
}
