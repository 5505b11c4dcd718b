//! A minimal, allocation-free JSON line builder.
//!
//! Resources are written by appending fixed JSON fragments and escaped
//! values to a reusable byte buffer: much faster than building
//! `serde_json::Value` trees, which matters at a million resources a second.

use crate::ids::{Npi, Uuid};
use crate::time::{self, Tz};

/// One resource being serialised.
#[derive(Debug, Default)]
pub(crate) struct Line {
    pub(crate) buf: Vec<u8>,
}

impl Line {
    /// Appends raw JSON text (a trusted fragment: keys, punctuation, constants).
    #[inline]
    pub(crate) fn raw(&mut self, s: &str) {
        self.buf.extend_from_slice(s.as_bytes());
    }

    /// Appends a JSON string literal, quotes included.
    #[inline]
    pub(crate) fn string(&mut self, s: &str) {
        self.buf.push(b'"');
        self.escaped(s);
        self.buf.push(b'"');
    }

    /// Appends a JSON string literal that needs no escaping (code-table
    /// text, checked by the tables' tests), quotes included.
    #[inline]
    pub(crate) fn trusted(&mut self, s: &str) {
        debug_assert!(!needs_escape(s), "{s}");
        self.buf.push(b'"');
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(b'"');
    }

    /// Appends the escaped contents of a string, without quotes.
    pub(crate) fn escaped(&mut self, s: &str) {
        let bytes = s.as_bytes();
        if !needs_escape(s) {
            self.buf.extend_from_slice(bytes);
            return;
        }
        for &b in bytes {
            match b {
                b'"' => self.buf.extend_from_slice(b"\\\""),
                b'\\' => self.buf.extend_from_slice(b"\\\\"),
                b'\n' => self.buf.extend_from_slice(b"\\n"),
                b'\r' => self.buf.extend_from_slice(b"\\r"),
                b'\t' => self.buf.extend_from_slice(b"\\t"),
                0..=0x1F => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    self.buf.extend_from_slice(b"\\u00");
                    self.buf.push(HEX[usize::from(b >> 4)]);
                    self.buf.push(HEX[usize::from(b & 0xF)]);
                }
                _ => self.buf.push(b),
            }
        }
    }

    /// Appends an unsigned integer.
    pub(crate) fn uint(&mut self, mut v: u64) {
        let mut tmp = [0u8; 20];
        let mut i = tmp.len();
        loop {
            i -= 1;
            tmp[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.buf.extend_from_slice(&tmp[i..]);
    }

    /// Appends an amount of money given in cents as a decimal number (`12.05`).
    pub(crate) fn money(&mut self, cents: u64) {
        self.uint(cents / 100);
        let c = (cents % 100) as u8;
        self.buf.push(b'.');
        self.buf.push(b'0' + c / 10);
        self.buf.push(b'0' + c % 10);
    }

    /// Appends a coordinate given in millionths of a degree (`-71.058880`).
    pub(crate) fn micro_degrees(&mut self, v: i64) {
        if v < 0 {
            self.buf.push(b'-');
        }
        let abs = v.unsigned_abs();
        self.uint(abs / 1_000_000);
        self.buf.push(b'.');
        let frac = abs % 1_000_000;
        let mut div = 100_000;
        while div > 0 {
            self.buf.push(b'0' + (frac / div % 10) as u8);
            div /= 10;
        }
    }

    /// Appends a UUID (no quotes).
    #[inline]
    pub(crate) fn uuid(&mut self, id: &Uuid) {
        self.buf.extend_from_slice(id.as_bytes());
    }

    /// Appends an NPI (no quotes).
    #[inline]
    pub(crate) fn npi(&mut self, npi: &Npi) {
        self.buf.extend_from_slice(npi.as_bytes());
    }

    /// Appends a quoted FHIR `dateTime` with offset.
    pub(crate) fn datetime(&mut self, utc: i64, tz: Tz) {
        self.buf.push(b'"');
        time::push_datetime(&mut self.buf, utc, tz);
        self.buf.push(b'"');
    }

    /// Appends a quoted FHIR `date`.
    pub(crate) fn date(&mut self, utc: i64, tz: Tz) {
        self.buf.push(b'"');
        time::push_date(&mut self.buf, utc, tz);
        self.buf.push(b'"');
    }

    /// Appends `{"start":"…","end":"…"}`.
    pub(crate) fn period(&mut self, start: i64, end: i64, tz: Tz) {
        self.raw("{\"start\":");
        self.datetime(start, tz);
        self.raw(",\"end\":");
        self.datetime(end, tz);
        self.buf.push(b'}');
    }

    /// Appends a `CodeableConcept` with one coding and `text` = display.
    pub(crate) fn codeable(&mut self, system: &str, code: &str, display: &str) {
        self.raw("{\"coding\":[");
        self.coding(system, code, display);
        self.raw("],\"text\":");
        self.trusted(display);
        self.buf.push(b'}');
    }

    /// Appends a `CodeableConcept` with one coding and no `text`.
    pub(crate) fn coded(&mut self, system: &str, code: &str, display: &str) {
        self.raw("{\"coding\":[");
        self.coding(system, code, display);
        self.raw("]}");
    }

    /// Appends one `Coding` object (code-table text: not escaped).
    pub(crate) fn coding(&mut self, system: &str, code: &str, display: &str) {
        self.raw("{\"system\":");
        self.trusted(system);
        self.raw(",\"code\":");
        self.trusted(code);
        self.raw(",\"display\":");
        self.trusted(display);
        self.buf.push(b'}');
    }

    /// Appends `{"reference":"<prefix><uuid>"}`.
    pub(crate) fn uuid_ref(&mut self, prefix: &str, id: &Uuid) {
        self.raw("{\"reference\":\"");
        self.raw(prefix);
        self.uuid(id);
        self.raw("\"}");
    }
}

/// Whether a string contains a character JSON requires to be escaped.
pub(crate) fn needs_escape(s: &str) -> bool {
    s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(f: impl FnOnce(&mut Line)) -> String {
        let mut l = Line::default();
        f(&mut l);
        String::from_utf8(l.buf).expect("utf-8")
    }

    #[test]
    fn numbers() {
        assert_eq!(text(|l| l.uint(0)), "0");
        assert_eq!(text(|l| l.uint(u64::MAX)), "18446744073709551615");
        assert_eq!(text(|l| l.money(118_351)), "1183.51");
        assert_eq!(text(|l| l.money(5)), "0.05");
        assert_eq!(text(|l| l.micro_degrees(-71_058_880)), "-71.058880");
        assert_eq!(text(|l| l.micro_degrees(5)), "0.000005");
    }

    #[test]
    fn escaping() {
        assert_eq!(text(|l| l.string("Coeur d'Alene")), "\"Coeur d'Alene\"");
        assert_eq!(
            text(|l| l.string("a\"b\\c\n\u{1}")),
            "\"a\\\"b\\\\c\\n\\u0001\""
        );
        assert_eq!(text(|l| l.string("Zoë")), "\"Zoë\"");
    }
}
