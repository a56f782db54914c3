//! HMAC-SHA256 over several pieces, and a constant-time comparison of tags.
//!
//! The timestamped schemes sign `prefix + timestamp + separator + body`; feeding the
//! pieces to one `ring` context avoids copying the body into a new buffer per request.

use ring::hmac;

/// Length of an HMAC-SHA256 tag in bytes.
pub(crate) const TAG_LEN: usize = 32;

/// A raw HMAC-SHA256 tag.
pub(crate) type Tag = [u8; TAG_LEN];

/// Precomputes the HMAC key state once per channel instance.
pub(crate) fn key(secret: &[u8]) -> hmac::Key {
    hmac::Key::new(hmac::HMAC_SHA256, secret)
}

/// HMAC of the concatenation of `parts`.
pub(crate) fn sign(key: &hmac::Key, parts: &[&[u8]]) -> Tag {
    let mut context = hmac::Context::with_key(key);
    for part in parts {
        context.update(part);
    }
    finish(context)
}

/// Ends a context whose input was fed piecewise.
pub(crate) fn finish(context: hmac::Context) -> Tag {
    let mut tag = [0; TAG_LEN];
    tag.copy_from_slice(context.sign().as_ref());
    tag
}

/// Compares two tags without an early exit, so the time taken does not reveal how many
/// leading bytes of a forged signature were right.
///
/// `ring` keeps its own constant-time compare internal; this one works on fixed-size
/// arrays, so there is no length to leak, and `black_box` keeps the optimiser from
/// turning the fold back into a short-circuiting loop.
pub(crate) fn tags_equal(a: &Tag, b: &Tag) -> bool {
    let difference = a
        .iter()
        .zip(b)
        .fold(0u8, |acc, (x, y)| acc | std::hint::black_box(x ^ y));
    std::hint::black_box(difference) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn piecewise_sign_equals_one_shot_sign() {
        let key = key(b"secret");
        let one_shot = hmac::sign(&key, b"v0:123:body");
        assert_eq!(
            sign(&key, &[b"v0:", b"123", b":", b"body"]),
            one_shot.as_ref()
        );
    }

    #[test]
    fn tags_equal_detects_any_differing_byte() {
        let a = [7u8; TAG_LEN];
        assert!(tags_equal(&a, &a));
        for i in 0..TAG_LEN {
            let mut b = a;
            b[i] ^= 0x01;
            assert!(!tags_equal(&a, &b), "byte {i} ignored");
        }
    }
}
