//! Text for the page: HTML escaping, shortened hashes, cut labels, seconds.

/// A run of hex digits this long or longer is a hash and is shortened in arrow labels.
pub(super) const HASH_DIGITS_MIN: usize = 24;

/// HTML-escapes `text` for element content and double-quoted attributes; control characters
/// (other than tab and newline) become U+FFFD.
pub(super) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Shortens every run of [`HASH_DIGITS_MIN`] or more hex digits to its leading zeros and
/// eight more digits, then `…`.
pub(super) fn shorten_hashes(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let run = chars[i..]
            .iter()
            .take_while(|c| c.is_ascii_hexdigit())
            .count();
        if run == 0 {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let digits = &chars[i..i + run];
        if run >= HASH_DIGITS_MIN {
            let zeros = digits.iter().take_while(|&&c| c == '0').count();
            out.extend(&digits[..(zeros + 8).min(run)]);
            out.push('…');
        } else {
            out.extend(digits);
        }
        i += run;
    }
    out
}

/// `text` cut to `max` characters, the last one `…` when cut.
pub(super) fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// `ms` as seconds with one decimal (`104.4 s`).
pub(super) fn seconds(ms: u64) -> String {
    format!("{}.{} s", ms / 1000, ms % 1000 / 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_helpers_escape_shorten_and_cut() {
        assert_eq!(esc("a<b>&\"c'\u{1}"), "a&lt;b&gt;&amp;&quot;c&#39;\u{fffd}");
        let hash = "00000000839a8e6886ab5951d76f411475428afc90947ee320161bbf18eb6048";
        assert_eq!(
            shorten_hashes(&format!("first={hash} n=0x0586a8a73b595b36")),
            "first=00000000839a8e68… n=0x0586a8a73b595b36"
        );
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
        assert_eq!(seconds(104_480), "104.4 s");
    }
}
