//! `{{secret:NAME}}` placeholders: finding them and filling them in.

use std::borrow::Cow;
use std::ops::Range;

const OPEN: &str = "{{secret:";
const CLOSE: &str = "}}";

/// One placeholder in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Placeholder<'a> {
    /// Byte range of the whole `{{secret:NAME}}`.
    pub(crate) span: Range<usize>,
    pub(crate) name: &'a str,
}

/// A `{{secret:` without its closing `}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unterminated;

/// Every placeholder in `text`, in order.
pub(crate) fn find(text: &str) -> Result<Vec<Placeholder<'_>>, Unterminated> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(offset) = text[from..].find(OPEN) {
        let start = from + offset;
        let name_start = start + OPEN.len();
        let name_len = text[name_start..].find(CLOSE).ok_or(Unterminated)?;
        let end = name_start + name_len + CLOSE.len();
        found.push(Placeholder {
            span: start..end,
            name: &text[name_start..name_start + name_len],
        });
        from = end;
    }
    Ok(found)
}

/// Rebuilds `text` with each placeholder replaced by `value(placeholder)`.
pub(crate) fn replace<'t, F>(
    text: &'t str,
    placeholders: &[Placeholder<'t>],
    mut value: F,
) -> String
where
    F: FnMut(usize, &Placeholder<'t>) -> Cow<'t, str>,
{
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (index, placeholder) in placeholders.iter().enumerate() {
        out.push_str(&text[copied..placeholder.span.start]);
        out.push_str(&value(index, placeholder));
        copied = placeholder.span.end;
    }
    out.push_str(&text[copied..]);
    out
}

/// Percent-encodes a secret for a URL path or query.
///
/// Only characters that could change the URL's structure or its parsing are encoded.
/// `:` is kept because it is legal in a path segment and Telegram bot tokens
/// (`123:ABC-def`) must appear verbatim in the path.
pub(crate) fn encode_for_url(value: &str) -> Cow<'_, str> {
    let keep = |b: u8| b.is_ascii_alphanumeric() || b"-._~:".contains(&b);
    if value.bytes().all(keep) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        if keep(b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(hex_digit(b >> 4));
            out.push(hex_digit(b & 0x0f));
        }
    }
    Cow::Owned(out)
}

fn hex_digit(nibble: u8) -> char {
    char::from(b"0123456789ABCDEF"[usize::from(nibble & 0x0f)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_names_and_spans() {
        let text = "/bot{{secret:tg}}/x?k={{secret:key}}";
        let found = find(text).expect("terminated");
        let names: Vec<&str> = found.iter().map(|p| p.name).collect();
        assert_eq!(names, ["tg", "key"]);
        assert_eq!(&text[found[0].span.clone()], "{{secret:tg}}");
    }

    #[test]
    fn unterminated_is_an_error() {
        assert_eq!(find("/a{{secret:tg/b"), Err(Unterminated));
        assert_eq!(find("/plain/{{other}}").map(|f| f.len()), Ok(0));
    }

    #[test]
    fn replace_fills_each_placeholder() {
        let text = "Bearer {{secret:a}} and {{secret:b}}";
        let found = find(text).expect("terminated");
        let out = replace(text, &found, |i, p| Cow::Owned(format!("<{i}:{}>", p.name)));
        assert_eq!(out, "Bearer <0:a> and <1:b>");
    }

    #[test]
    fn telegram_token_survives_and_reserved_characters_are_encoded() {
        assert_eq!(encode_for_url("123:ABC-def_x.y~z"), "123:ABC-def_x.y~z");
        assert_eq!(
            encode_for_url("a/b?c#d&e=f g%"),
            "a%2Fb%3Fc%23d%26e%3Df%20g%25"
        );
        assert_eq!(encode_for_url("é"), "%C3%A9");
    }
}
