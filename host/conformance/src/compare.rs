//! Expected-versus-actual JSON, as a list of the fields that differ.
//!
//! An expectation names only what matters: objects match when every key the
//! expectation gives matches (other keys are ignored), `null` also matches a key
//! that is absent, and arrays must have the same length and match item by item.

use std::fmt;

use serde_json::Value;

/// One field that differs.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// Where, e.g. `messages[0].text` or `requests[1].headers.authorization`.
    pub path: String,
    pub expected: String,
    /// What the call produced there; `None` when nothing is there.
    pub actual: Option<String>,
    /// For a missing key, the keys that are there instead.
    pub siblings: Vec<String>,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.actual {
            Some(actual) => write!(
                f,
                "{}: expected {}, got {}",
                self.path, self.expected, actual
            ),
            None if self.siblings.is_empty() => {
                write!(f, "{}: expected {}, got nothing", self.path, self.expected)
            }
            None => write!(
                f,
                "{}: expected {}, got nothing (there is {})",
                self.path,
                self.expected,
                self.siblings.join(", ")
            ),
        }
    }
}

/// Adds to `out` every place where `actual` does not match `expected`.
pub(crate) fn compare(
    path: &str,
    expected: &Value,
    actual: Option<&Value>,
    out: &mut Vec<Mismatch>,
) {
    let Some(actual) = actual else {
        if !expected.is_null() {
            out.push(Mismatch {
                path: path.to_owned(),
                expected: short(expected),
                actual: None,
                siblings: Vec::new(),
            });
        }
        return;
    };
    match (expected, actual) {
        (Value::Object(want), Value::Object(got)) => {
            for (key, value) in want {
                let before = out.len();
                compare(&join(path, key), value, got.get(key), out);
                // A missing key reads better next to what is there instead (an
                // `error` where `ok` was expected).
                if !got.contains_key(key)
                    && let Some(missing) = out.get_mut(before)
                {
                    missing.siblings = got.keys().map(|k| format!("`{k}`")).collect();
                }
            }
        }
        (Value::Array(want), Value::Array(got)) => {
            if want.len() != got.len() {
                out.push(Mismatch {
                    path: path.to_owned(),
                    expected: count(want.len()),
                    actual: Some(count(got.len())),
                    siblings: Vec::new(),
                });
            }
            for (i, value) in want.iter().enumerate() {
                compare(&format!("{path}[{i}]"), value, got.get(i), out);
            }
        }
        _ if numbers_equal(expected, actual) || expected == actual => {}
        _ => out.push(Mismatch {
            path: path.to_owned(),
            expected: short(expected),
            actual: Some(short(actual)),
            siblings: Vec::new(),
        }),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn count(n: usize) -> String {
    match n {
        1 => "1 item".to_owned(),
        n => format!("{n} items"),
    }
}

/// `1` and `1.0` are the same number to a case author.
fn numbers_equal(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// A value as one line, cut where it would drown the line it is on.
fn short(value: &Value) -> String {
    const MAX: usize = 160;
    let text = value.to_string();
    if text.len() <= MAX {
        return text;
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn diff(expected: Value, actual: Value) -> Vec<String> {
        let mut out = Vec::new();
        compare("", &expected, Some(&actual), &mut out);
        out.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn names_the_field_that_differs_and_ignores_the_rest() {
        let got = json!({"messages": [{"text": "hello", "sender_id": "u1", "kind": "text"}]});
        assert_eq!(
            diff(json!({"messages": [{"text": "hi", "kind": "text"}]}), got),
            [r#"messages[0].text: expected "hi", got "hello""#]
        );
    }

    #[test]
    fn counts_items_and_says_what_is_missing() {
        let got = json!({"requests": [{"method": "POST"}]});
        assert_eq!(
            diff(
                json!({"requests": [{"method": "POST"}, {"method": "GET"}]}),
                got
            ),
            [
                "requests: expected 2 items, got 1 item",
                r#"requests[1]: expected {"method":"GET"}, got nothing"#
            ]
        );
    }

    #[test]
    fn a_missing_key_names_what_is_there_instead() {
        assert_eq!(
            diff(
                json!({"result": {"ok": {}}}),
                json!({"result": {"error": {"retryable": true}}})
            ),
            ["result.ok: expected {}, got nothing (there is `error`)"]
        );
    }

    #[test]
    fn null_matches_an_absent_key_and_numbers_compare_by_value() {
        assert!(
            diff(
                json!({"thread_id": null, "status": 200.0}),
                json!({"status": 200})
            )
            .is_empty()
        );
        assert_eq!(
            diff(json!({"thread_id": null}), json!({"thread_id": "t1"})),
            [r#"thread_id: expected null, got "t1""#]
        );
    }
}
