//! Pretty-printing: `Display` for every AST node, producing Cypher that
//! parses back to an equal tree.

mod clause;
mod expr;
mod pattern;

use std::fmt::{self, Display, Formatter, Write};

use crate::keywords::{is_plain_identifier, is_reserved};

/// A variable or alias: backtick-quoted unless it is a plain, unreserved
/// identifier.
pub(crate) struct Var<'a>(pub &'a str);

impl Display for Var<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if is_plain_identifier(self.0) {
            f.write_str(self.0)
        } else {
            write_quoted(f, self.0)
        }
    }
}

/// A label, type, property key or map key: backtick-quoted unless
/// identifier-shaped (keywords are fine in these positions).
pub(crate) struct Name<'a>(pub &'a str);

impl Display for Name<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let shaped = self
            .0
            .chars()
            .next()
            .is_some_and(|c| c == '_' || c.is_alphabetic())
            && self.0.chars().all(|c| c == '_' || c.is_alphanumeric());
        if shaped {
            f.write_str(self.0)
        } else {
            write_quoted(f, self.0)
        }
    }
}

/// A function or procedure name part: like [`Name`], but reserved words
/// other than `exists` are quoted too (they would not parse as calls).
pub(crate) struct FnName<'a>(pub &'a str);

impl Display for FnName<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if is_reserved(self.0) && !self.0.eq_ignore_ascii_case("exists") {
            write_quoted(f, self.0)
        } else {
            Name(self.0).fmt(f)
        }
    }
}

fn write_quoted(f: &mut Formatter<'_>, name: &str) -> fmt::Result {
    f.write_char('`')?;
    for c in name.chars() {
        if c == '`' {
            f.write_str("``")?;
        } else {
            f.write_char(c)?;
        }
    }
    f.write_char('`')
}

/// A single-quoted string literal with escapes.
pub(crate) fn write_string(f: &mut Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('\'')?;
    for c in s.chars() {
        match c {
            '\\' => f.write_str("\\\\")?,
            '\'' => f.write_str("\\'")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            '\u{8}' => f.write_str("\\b")?,
            '\u{c}' => f.write_str("\\f")?,
            c if c.is_control() => write!(f, "\\u{:04X}", u32::from(c))?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('\'')
}

/// Write `items` separated by `sep`.
pub(crate) fn join<T: Display>(f: &mut Formatter<'_>, items: &[T], sep: &str) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        item.fmt(f)?;
    }
    Ok(())
}
