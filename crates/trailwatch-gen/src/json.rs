//! Writing compact JSON the way CloudTrail (Gson) does, with keys in the
//! order given: no whitespace, UTF-8 kept, and `< > & = '` escaped as
//! `\u003c \u003e \u0026 \u003d \u0027`.

/// Appends `text` as a quoted, escaped JSON string.
pub fn esc_into(out: &mut String, text: &str) {
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003d"),
            '\'' => out.push_str("\\u0027"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `text` as a JSON string literal.
pub fn q(text: &str) -> String {
    let mut s = String::with_capacity(text.len() + 2);
    esc_into(&mut s, text);
    s
}

/// A JSON array of raw JSON values.
pub fn arr<I: IntoIterator<Item = String>>(items: I) -> String {
    let mut s = String::from("[");
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&item);
    }
    s.push(']');
    s
}

/// A JSON array of strings.
pub fn arr_s(items: &[&str]) -> String {
    arr(items.iter().map(|s| q(s)))
}

/// An object under construction, keys in insertion order.
#[derive(Debug)]
pub struct Obj {
    s: String,
    empty: bool,
}

impl Default for Obj {
    fn default() -> Self {
        Self::new()
    }
}

impl Obj {
    /// `{`.
    pub fn new() -> Self {
        let mut s = String::with_capacity(256);
        s.push('{');
        Obj { s, empty: true }
    }

    fn key(&mut self, k: &str) {
        if !self.empty {
            self.s.push(',');
        }
        self.empty = false;
        esc_into(&mut self.s, k);
        self.s.push(':');
    }

    /// A string member.
    pub fn s(mut self, k: &str, v: &str) -> Self {
        self.key(k);
        esc_into(&mut self.s, v);
        self
    }

    /// A number member.
    pub fn n(mut self, k: &str, v: i64) -> Self {
        self.key(k);
        self.s.push_str(&v.to_string());
        self
    }

    /// A boolean member.
    pub fn b(mut self, k: &str, v: bool) -> Self {
        self.key(k);
        self.s.push_str(if v { "true" } else { "false" });
        self
    }

    /// A null member.
    pub fn null(mut self, k: &str) -> Self {
        self.key(k);
        self.s.push_str("null");
        self
    }

    /// A member whose value is already JSON.
    pub fn raw(mut self, k: &str, v: &str) -> Self {
        self.key(k);
        self.s.push_str(v);
        self
    }

    /// `raw` when `v` is some, nothing otherwise.
    pub fn opt_raw(self, k: &str, v: Option<&str>) -> Self {
        match v {
            Some(v) => self.raw(k, v),
            None => self,
        }
    }

    /// `}`: the JSON text.
    pub fn end(mut self) -> String {
        self.s.push('}');
        self.s
    }
}

/// Re-spaces compact JSON the way Python's `json.dumps` does by default
/// (`", "` and `": "` outside strings), as policy documents often arrive.
pub fn spaced(compact: &str) -> String {
    let mut out = String::with_capacity(compact.len() + compact.len() / 8);
    let (mut in_str, mut esc) = (false, false);
    for ch in compact.chars() {
        out.push(ch);
        if in_str {
            if esc {
                esc = false;
            } else if ch == '\\' {
                esc = true;
            } else if ch == '"' {
                in_str = false;
            }
            continue;
        }
        match ch {
            '"' => in_str = true,
            ',' | ':' => out.push(' '),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gson_escapes() {
        assert_eq!(
            q("a=\"b\"<&>'\n\u{1b}"),
            r#""a\u003d\"b\"\u003c\u0026\u003e\u0027\n\u001b""#
        );
        let o = Obj::new()
            .s("k", "v")
            .n("n", 3)
            .b("t", true)
            .null("z")
            .raw("a", &arr_s(&["x"]))
            .end();
        assert_eq!(o, r#"{"k":"v","n":3,"t":true,"z":null,"a":["x"]}"#);
        assert_eq!(
            spaced(r#"{"a":"x,y:z","b":[1,2]}"#),
            r#"{"a": "x,y:z", "b": [1, 2]}"#
        );
    }
}
