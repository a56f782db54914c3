//! HMAC-SHA256 (RFC 2104) over `sha2`, for authenticating cache entries.
//!
//! The construction is a few lines on top of the hash the crate already uses; the
//! RFC 4231 vectors below pin it down.

use sha2::{Digest, Sha256};

/// Bytes of a SHA-256 block, the HMAC key width.
const BLOCK: usize = 64;

/// Bytes of a tag.
pub(crate) const TAG_LEN: usize = 32;

/// The HMAC-SHA256 of the concatenation of `parts` under `key`.
pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; TAG_LEN] {
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..TAG_LEN].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    for part in parts {
        inner.update(part);
    }
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// Compares two tags without an early exit, so the time taken does not tell an
/// attacker how many leading bytes of a forged tag were right.
pub(crate) fn tags_equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex_tag(key: &[u8], data: &[u8]) -> String {
        hex::encode(hmac_sha256(key, &[data]))
    }

    #[test]
    fn rfc_4231_vectors() {
        // Test case 1: a 20-byte key.
        assert_eq!(
            hex_tag(&[0x0b; 20], b"Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        // Test case 2: a key shorter than the tag.
        assert_eq!(
            hex_tag(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block, which is hashed first.
        assert_eq!(
            hex_tag(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            ),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn parts_are_hashed_as_their_concatenation() {
        let key = [7u8; 32];
        assert_eq!(
            hmac_sha256(&key, &[b"ab", b"c"]),
            hmac_sha256(&key, &[b"abc"])
        );
    }

    #[test]
    fn tags_compare_by_every_byte_and_length() {
        let tag = hmac_sha256(b"k", &[b"m"]);
        let mut other = tag;
        assert!(tags_equal(&tag, &other));
        other[TAG_LEN - 1] ^= 1;
        assert!(!tags_equal(&tag, &other));
        assert!(!tags_equal(&tag, &tag[..TAG_LEN - 1]));
    }
}
