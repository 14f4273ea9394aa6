//! Making untrusted log text safe to show: user agents, keys, policies and
//! session names are written by whoever made the API call.

use std::borrow::Cow;

/// True for characters that can move a terminal's cursor, change its state or
/// reorder text: C0 and C1 controls, DEL, and Unicode bidirectional overrides.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The text with every unsafe character shown as a visible `\u{..}` escape,
/// so that an ANSI sequence in a user agent cannot rewrite a terminal.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_unsafe(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// At most `max_chars` characters of the text, with `…` when cut.
pub fn truncate_chars(text: &str, max_chars: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max_chars) {
        None => Cow::Borrowed(text),
        Some((cut, _)) => {
            let mut end = cut;
            // Leave room for the ellipsis within the bound.
            if let Some((prev, _)) = text[..cut].char_indices().last() {
                end = prev;
            }
            Cow::Owned(format!("{}…", &text[..end]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_controls_and_bidi() {
        assert_eq!(printable("aws-cli/2.0"), "aws-cli/2.0");
        assert_eq!(printable("x\u{1b}[31mred\u{7}"), "x\\u{1b}[31mred\\u{7}");
        assert_eq!(
            printable("a\u{202e}b\r\n\u{9b}"),
            "a\\u{202e}b\\u{d}\\u{a}\\u{9b}"
        );
    }

    #[test]
    fn truncates_on_char_boundaries() {
        assert_eq!(truncate_chars("héllo", 10), "héllo");
        assert_eq!(truncate_chars("héllo", 3), "hé…");
        assert_eq!(truncate_chars("héllo", 3).chars().count(), 3);
    }
}
