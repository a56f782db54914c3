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

/// One piece of a request body: bytes, or a stored blob the host streams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodySegment {
    Bytes(Vec<u8>),
    /// Lower-case hex sha256 of a blob in the host's store.
    Blob(String),
}

/// An assembled body and the `content-type` that names its boundary.
pub(crate) struct Assembled {
    pub(crate) segments: Vec<BodySegment>,
    pub(crate) content_type: String,
}

/// Assembles the parts in order. Names, file names and content types must not break
/// out of their header line. A blob part stays a reference: the host streams it.
pub(crate) fn assemble(parts: Vec<Part>) -> Result<Assembled, FetchError> {
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
    }
    // A boundary derived from the content cannot occur in it (that would take a
    // sha256 preimage; a blob is hashed by its name, itself the hash of its content),
    // and the same parts always give the same bytes.
    let mut hash = Sha256::new();
    for part in &parts {
        let (tag, content): (u8, &[u8]) = match &part.content {
            Content::Text(text) => (0, text.as_bytes()),
            Content::Bytes(bytes) => (0, bytes.as_slice()),
            Content::Blob(blob) => (1, blob.as_bytes()),
        };
        hash.update([tag]);
        hash.update(
            u64::try_from(content.len())
                .unwrap_or(u64::MAX)
                .to_le_bytes(),
        );
        hash.update(content);
    }
    let boundary = format!("switchboard-{}", &hex::encode(hash.finalize())[..40]);
    let mut segments = Vec::new();
    let mut bytes = Vec::new();
    for part in parts {
        bytes.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let mut disposition = format!("Content-Disposition: form-data; name=\"{}\"", part.name);
        if let Some(file_name) = &part.file_name {
            disposition.push_str(&format!("; filename=\"{file_name}\""));
        }
        bytes.extend_from_slice(disposition.as_bytes());
        bytes.extend_from_slice(b"\r\n");
        if let Some(content_type) = &part.content_type {
            bytes.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
        }
        bytes.extend_from_slice(b"\r\n");
        match part.content {
            Content::Text(text) => bytes.extend_from_slice(text.as_bytes()),
            Content::Bytes(content) => bytes.extend_from_slice(&content),
            Content::Blob(blob) => {
                segments.push(BodySegment::Bytes(std::mem::take(&mut bytes)));
                segments.push(BodySegment::Blob(blob));
            }
        }
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    segments.push(BodySegment::Bytes(bytes));
    Ok(Assembled {
        segments,
        content_type: format!("multipart/form-data; boundary={boundary}"),
    })
}

/// The body as one run of bytes, when it refers to no blob.
pub(crate) fn only_bytes(segments: &[BodySegment]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    for segment in segments {
        match segment {
            BodySegment::Bytes(bytes) => body.extend_from_slice(bytes),
            BodySegment::Blob(_) => return None,
        }
    }
    Some(body)
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
        let body = only_bytes(&assembled.segments).expect("no blob");
        assert_eq!(String::from_utf8(body).unwrap(), expected);
    }

    #[test]
    fn a_name_cannot_inject_headers() {
        let error = assemble(vec![text("a\"\r\nx-evil: 1", "v")])
            .err()
            .expect("refused");
        assert!(matches!(error, FetchError::Invalid(why) if why.contains("control character")));
    }

    #[test]
    fn a_blob_part_stays_a_reference_between_its_framing() {
        let blob = "ab".repeat(32);
        let photo = Part {
            name: "photo".to_owned(),
            file_name: Some("cat.jpg".to_owned()),
            content_type: Some("image/jpeg".to_owned()),
            content: Content::Blob(blob.clone()),
        };
        let assembled = assemble(vec![text("chat_id", "42"), photo]).unwrap();
        let [
            BodySegment::Bytes(head),
            BodySegment::Blob(named),
            BodySegment::Bytes(tail),
        ] = assembled.segments.as_slice()
        else {
            panic!("three segments expected: {:?}", assembled.segments);
        };
        assert_eq!(named, &blob);
        let head = String::from_utf8_lossy(head);
        assert!(head.ends_with("filename=\"cat.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"));
        assert!(String::from_utf8_lossy(tail).starts_with("\r\n--switchboard-"));
        assert!(only_bytes(&assembled.segments).is_none());
    }
}
