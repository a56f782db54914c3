//! Splitting reply text to fit a platform's message length limit.

/// Splits `text` into chunks of at most `max_units` UTF-16 code units each, in
/// order, so that concatenating the chunks gives back `text` exactly. Empty text
/// gives no chunks.
///
/// Platforms state limits in "characters" without saying which kind; counting
/// UTF-16 code units is the conservative choice, since a chunk within the limit in
/// code units is also within it in Unicode scalar values. Chunks end on a char
/// boundary, preferably after a newline, else after whitespace, when one falls in
/// the second half of the chunk, so words survive the split. Every chunk holds at
/// least one char, even when `max_units` is smaller than that char.
pub fn split_text(text: &str, max_units: usize) -> Vec<&str> {
    let mut chunks = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let cut = chunk_end(rest, max_units);
        let (chunk, tail) = rest.split_at(cut);
        chunks.push(chunk);
        rest = tail;
    }
    chunks
}

/// The byte index where the first chunk of `text` ends.
fn chunk_end(text: &str, max_units: usize) -> usize {
    let mut units = 0;
    let mut after_newline = None;
    let mut after_space = None;
    for (index, ch) in text.char_indices() {
        units += ch.len_utf16();
        if units > max_units {
            if index == 0 {
                return ch.len_utf8();
            }
            return after_newline.or(after_space).unwrap_or(index);
        }
        let end = index + ch.len_utf8();
        if units * 2 >= max_units {
            if ch == '\n' {
                after_newline = Some(end);
            } else if ch.is_whitespace() {
                after_space = Some(end);
            }
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(chunk: &str) -> usize {
        chunk.encode_utf16().count()
    }

    #[test]
    fn short_text_is_one_chunk_and_empty_is_none() {
        assert_eq!(split_text("hello", 4096), vec!["hello"]);
        assert!(split_text("", 4096).is_empty());
    }

    #[test]
    fn exact_limit_is_one_chunk() {
        let text = "a".repeat(4096);
        assert_eq!(split_text(&text, 4096), vec![text.as_str()]);
    }

    #[test]
    fn long_text_without_spaces_splits_hard() {
        let text = "a".repeat(10_000);
        let chunks = split_text(&text, 4096);
        assert_eq!(
            chunks.iter().map(|c| c.len()).collect::<Vec<_>>(),
            [4096, 4096, 1808]
        );
    }

    #[test]
    fn prefers_newline_then_space_in_the_second_half() {
        let text = "aaaa bbbb\ncccc dddd eeee";
        assert_eq!(split_text(text, 16), vec!["aaaa bbbb\n", "cccc dddd eeee"]);
        let text = "aaaa bbbb cccc dddd";
        assert_eq!(split_text(text, 12), vec!["aaaa bbbb ", "cccc dddd"]);
        // A break in the first half would leave a tiny chunk; cut hard instead.
        let text = "a bbbbbbbbbbbbbbbbbb";
        assert_eq!(split_text(text, 10), vec!["a bbbbbbbb", "bbbbbbbbbb"]);
    }

    #[test]
    fn non_ascii_never_splits_inside_a_char_or_surrogate_pair() {
        let text = "😀é漢".repeat(2000);
        let chunks = split_text(&text, 4096);
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks.concat(), text);
        for chunk in &chunks {
            assert!(units(chunk) <= 4096, "{}", units(chunk));
        }
    }

    #[test]
    fn tiny_limit_still_makes_progress() {
        assert_eq!(split_text("😀😀", 1), vec!["😀", "😀"]);
        assert_eq!(split_text("ab", 0), vec!["a", "b"]);
    }
}
