//! The `\uXXXX`-escaped body that Meta has been known to sign instead of the raw bytes.
//!
//! Meta's Graph documentation says the signature is computed over "an escaped unicode
//! version of the payload, with lowercase hex digits": every character outside `\0-~`
//! becomes `\u` plus four lowercase hex digits per UTF-16 code unit (so characters beyond
//! the BMP become a surrogate pair). The escaped form is only ever fed to the HMAC; the
//! body handed on stays the raw bytes, and JSON is never re-serialised.

/// Whether the escaped form differs from the raw body at all.
pub(crate) fn changes(body: &[u8]) -> bool {
    body.iter().any(|&byte| byte > b'~')
}

/// Feeds the escaped form of `text` to `sink` piece by piece, so the HMAC can consume it
/// without the escaped body ever being built in memory.
pub(crate) fn for_each_piece(text: &str, mut sink: impl FnMut(&[u8])) {
    let bytes = text.as_bytes();
    let mut run_start = 0;
    for (index, character) in text.char_indices() {
        if u32::from(character) <= u32::from(b'~') {
            continue;
        }
        if run_start < index {
            sink(&bytes[run_start..index]);
        }
        let mut units = [0u16; 2];
        for unit in character.encode_utf16(&mut units) {
            sink(&escape_unit(*unit));
        }
        run_start = index + character.len_utf8();
    }
    if run_start < bytes.len() {
        sink(&bytes[run_start..]);
    }
}

fn escape_unit(unit: u16) -> [u8; 6] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digit = |shift: u16| HEX[usize::from((unit >> shift) & 0xf)];
    [b'\\', b'u', digit(12), digit(8), digit(4), digit(0)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escape(text: &str) -> String {
        let mut escaped = Vec::new();
        for_each_piece(text, |piece| escaped.extend_from_slice(piece));
        String::from_utf8(escaped).expect("escaped form is ASCII")
    }

    #[test]
    fn escapes_latin_letters_with_lowercase_hex() {
        assert_eq!(escape("äöå"), r"\u00e4\u00f6\u00e5");
        assert_eq!(escape("J'ai mangé"), r"J'ai mang\u00e9");
    }

    #[test]
    fn escapes_astral_characters_as_surrogate_pairs() {
        assert_eq!(escape("a🍝b"), r"a\ud83c\udf5db");
    }

    #[test]
    fn escapes_delete_but_keeps_tilde_and_controls() {
        assert_eq!(escape("~\u{7f}\n\0"), "~\\u007f\n\0");
    }

    #[test]
    fn ascii_is_unchanged_and_not_flagged() {
        let text = r#"{"a":"b ~ \n"}"#;
        assert_eq!(escape(text), text);
        assert!(!changes(text.as_bytes()));
        assert!(changes("é".as_bytes()));
    }
}
