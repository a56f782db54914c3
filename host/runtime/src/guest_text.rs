//! Strings a guest chooses (log lines, stdout, error messages) on their way to a log
//! or the database: capped, and with every control character escaped, so that one
//! cannot fill a disk or forge a log line of its own (a newline followed by a fake
//! timestamp, a terminal escape sequence).

use std::fmt::Write as _;

/// The most bytes kept of one guest error message (a hook's error, a delivery error,
/// a trap's text); the rest is cut and the cut is marked.
pub const MAX_GUEST_ERROR_BYTES: usize = 2048;

/// The most bytes kept of one guest log line (`host.log`, a line of stdout/stderr).
pub const MAX_GUEST_LOG_LINE_BYTES: usize = 8192;

/// `text` with control characters escaped (`\n`, `\r`, `\t`, others as `\u{..}`) and
/// cut to at most `max` bytes of the original, on a character boundary, with the cut
/// marked as `…[N more bytes]`.
pub fn guest_text(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let kept = &text[..end];
    let mut out = String::with_capacity(kept.len() + 16);
    for c in kept.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // Unicode's line and paragraph separators end a line in some viewers.
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    if end < text.len() {
        let _ = write!(out, "…[{} more bytes]", text.len() - end);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newlines_and_escapes_cannot_start_a_line_of_their_own() {
        let forged = "failed\n2026-01-01T00:00:00Z  INFO forged\r\n\u{1b}[31mred\u{2028}x\ty";
        let clean = guest_text(forged, 1024);
        assert_eq!(
            clean,
            "failed\\n2026-01-01T00:00:00Z  INFO forged\\r\\n\\u{1b}[31mred\\u{2028}x\\ty"
        );
        assert!(!clean.chars().any(char::is_control));
    }

    #[test]
    fn long_text_is_cut_on_a_character_boundary_and_says_so() {
        let text = "é".repeat(10);
        assert_eq!(guest_text(&text, 5), "éé…[16 more bytes]");
        assert_eq!(guest_text("short", 5), "short");
    }
}
