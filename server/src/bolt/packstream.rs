//! `PackStream` v1: the binary encoding of Bolt messages.
//!
//! Decoding is strict: every length is checked against the bytes that are
//! left before anything is allocated, nesting is limited to [`MAX_DEPTH`],
//! strings must be UTF-8 and map keys strings, and a message must be
//! exactly one value. Encoding writes the smallest form of each value.

use super::error::PackError;

/// Deepest nesting of lists, maps and structures accepted.
pub const MAX_DEPTH: usize = 64;

/// A decoded value.
#[derive(Clone, Debug, PartialEq)]
pub enum PackValue {
    /// Null.
    Null,
    /// A boolean.
    Boolean(bool),
    /// A signed 64-bit integer.
    Integer(i64),
    /// A 64-bit float.
    Float(f64),
    /// A byte array.
    Bytes(Vec<u8>),
    /// A string.
    String(String),
    /// A list.
    List(Vec<PackValue>),
    /// A map, in the order sent (see [`PackValue::get`]).
    Map(Vec<(String, PackValue)>),
    /// A structure: a tag byte and fields.
    Struct(PackStruct),
}

/// A structure: a tag byte and up to 15 fields.
#[derive(Clone, Debug, PartialEq)]
pub struct PackStruct {
    /// The tag (the message signature, or the kind of value).
    pub tag: u8,
    /// The fields.
    pub fields: Vec<PackValue>,
}

impl PackValue {
    /// The value of `key` in a map (the last one, when a key repeats);
    /// `None` for other values.
    pub fn get(&self, key: &str) -> Option<&PackValue> {
        match self {
            PackValue::Map(entries) => entries.iter().rev().find(|(k, _)| k == key).map(|e| &e.1),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            PackValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if this is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            PackValue::Integer(i) => Some(*i),
            _ => None,
        }
    }

    /// A short name of the kind of value, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            PackValue::Null => "null",
            PackValue::Boolean(_) => "a boolean",
            PackValue::Integer(_) => "an integer",
            PackValue::Float(_) => "a float",
            PackValue::Bytes(_) => "bytes",
            PackValue::String(_) => "a string",
            PackValue::List(_) => "a list",
            PackValue::Map(_) => "a map",
            PackValue::Struct(_) => "a structure",
        }
    }
}

/// Decodes a whole message: exactly one value.
pub fn decode(bytes: &[u8]) -> Result<PackValue, PackError> {
    let mut decoder = Decoder { bytes, pos: 0 };
    let value = decoder.value(0)?;
    let rest = bytes.len() - decoder.pos;
    if rest > 0 {
        return Err(PackError::TrailingBytes { count: rest });
    }
    Ok(value)
}

struct Decoder<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Decoder<'_> {
    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn take(&mut self, n: usize, at: usize) -> Result<&[u8], PackError> {
        if n > self.remaining() {
            return Err(PackError::UnexpectedEnd { at });
        }
        let slice = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self, at: usize) -> Result<[u8; N], PackError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, at)?);
        Ok(out)
    }

    /// A length of `width` bytes (1, 2 or 4), unsigned.
    fn length(&mut self, width: usize, at: usize) -> Result<usize, PackError> {
        Ok(match width {
            1 => usize::from(self.array::<1>(at)?[0]),
            2 => usize::from(u16::from_be_bytes(self.array(at)?)),
            _ => u32::from_be_bytes(self.array(at)?) as usize,
        })
    }

    /// Checks that `count` items of at least `min_bytes` each can follow.
    fn check_count(&self, count: usize, min_bytes: usize, at: usize) -> Result<(), PackError> {
        if count.saturating_mul(min_bytes) > self.remaining() {
            return Err(PackError::UnexpectedEnd { at });
        }
        Ok(())
    }

    fn string(&mut self, len: usize, at: usize) -> Result<String, PackError> {
        let bytes = self.take(len, at)?;
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| PackError::InvalidUtf8 { at })
    }

    fn value(&mut self, depth: usize) -> Result<PackValue, PackError> {
        let at = self.pos;
        let [marker] = self.array::<1>(at)?;
        Ok(match marker {
            0x00..=0x7F => PackValue::Integer(i64::from(marker)),
            0xF0..=0xFF => PackValue::Integer(i64::from(marker as i8)),
            0xC0 => PackValue::Null,
            0xC2 => PackValue::Boolean(false),
            0xC3 => PackValue::Boolean(true),
            0xC1 => PackValue::Float(f64::from_be_bytes(self.array(at)?)),
            0xC8 => PackValue::Integer(i64::from(i8::from_be_bytes(self.array(at)?))),
            0xC9 => PackValue::Integer(i64::from(i16::from_be_bytes(self.array(at)?))),
            0xCA => PackValue::Integer(i64::from(i32::from_be_bytes(self.array(at)?))),
            0xCB => PackValue::Integer(i64::from_be_bytes(self.array(at)?)),
            0xCC..=0xCE => {
                let len = self.length(1 << (marker - 0xCC), at)?;
                PackValue::Bytes(self.take(len, at)?.to_vec())
            }
            0x80..=0x8F => PackValue::String(self.string(usize::from(marker & 0x0F), at)?),
            0xD0..=0xD2 => {
                let len = self.length(1 << (marker - 0xD0), at)?;
                PackValue::String(self.string(len, at)?)
            }
            0x90..=0x9F => self.list(usize::from(marker & 0x0F), depth, at)?,
            0xD4..=0xD6 => {
                let len = self.length(1 << (marker - 0xD4), at)?;
                self.list(len, depth, at)?
            }
            0xA0..=0xAF => self.map(usize::from(marker & 0x0F), depth, at)?,
            0xD8..=0xDA => {
                let len = self.length(1 << (marker - 0xD8), at)?;
                self.map(len, depth, at)?
            }
            0xB0..=0xBF => {
                let size = usize::from(marker & 0x0F);
                let [tag] = self.array::<1>(at)?;
                if depth >= MAX_DEPTH {
                    return Err(PackError::TooDeep { limit: MAX_DEPTH });
                }
                self.check_count(size, 1, at)?;
                let mut fields = Vec::with_capacity(size);
                for _ in 0..size {
                    fields.push(self.value(depth + 1)?);
                }
                PackValue::Struct(PackStruct { tag, fields })
            }
            _ => return Err(PackError::UnknownMarker { marker, at }),
        })
    }

    fn list(&mut self, len: usize, depth: usize, at: usize) -> Result<PackValue, PackError> {
        if depth >= MAX_DEPTH {
            return Err(PackError::TooDeep { limit: MAX_DEPTH });
        }
        self.check_count(len, 1, at)?;
        let mut items = Vec::with_capacity(len);
        for _ in 0..len {
            items.push(self.value(depth + 1)?);
        }
        Ok(PackValue::List(items))
    }

    fn map(&mut self, len: usize, depth: usize, at: usize) -> Result<PackValue, PackError> {
        if depth >= MAX_DEPTH {
            return Err(PackError::TooDeep { limit: MAX_DEPTH });
        }
        self.check_count(len, 2, at)?;
        let mut entries = Vec::with_capacity(len);
        for _ in 0..len {
            let key_at = self.pos;
            let PackValue::String(key) = self.value(depth + 1)? else {
                return Err(PackError::NonStringKey { at: key_at });
            };
            entries.push((key, self.value(depth + 1)?));
        }
        Ok(PackValue::Map(entries))
    }
}

/// Writes `null`.
pub fn write_null(out: &mut Vec<u8>) {
    out.push(0xC0);
}

/// Writes a boolean.
pub fn write_bool(out: &mut Vec<u8>, b: bool) {
    out.push(if b { 0xC3 } else { 0xC2 });
}

/// Writes an integer in its smallest form.
pub fn write_int(out: &mut Vec<u8>, i: i64) {
    if (-16..=127).contains(&i) {
        out.push(i as u8);
    } else if let Ok(v) = i8::try_from(i) {
        out.push(0xC8);
        out.extend_from_slice(&v.to_be_bytes());
    } else if let Ok(v) = i16::try_from(i) {
        out.push(0xC9);
        out.extend_from_slice(&v.to_be_bytes());
    } else if let Ok(v) = i32::try_from(i) {
        out.push(0xCA);
        out.extend_from_slice(&v.to_be_bytes());
    } else {
        out.push(0xCB);
        out.extend_from_slice(&i.to_be_bytes());
    }
}

/// Writes a float.
pub fn write_float(out: &mut Vec<u8>, x: f64) {
    out.push(0xC1);
    out.extend_from_slice(&x.to_be_bytes());
}

/// Writes the marker and size of a string, list or map: `tiny` is the
/// marker of the nibble form, `sized` of the 8-bit-length form (the 16- and
/// 32-bit forms follow it).
fn write_header(out: &mut Vec<u8>, tiny: Option<u8>, sized: u8, len: usize) {
    match (tiny, len) {
        (Some(tiny), 0..=15) => out.push(tiny | len as u8),
        (_, 0..=0xFF) => {
            out.push(sized);
            out.push(len as u8);
        }
        (_, 0x100..=0xFFFF) => {
            out.push(sized + 1);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            // Messages are far below 4 GiB: the server caps what it reads
            // and results are written a record at a time.
            out.push(sized + 2);
            out.extend_from_slice(&(len as u32).to_be_bytes());
        }
    }
}

/// Writes a string.
pub fn write_string(out: &mut Vec<u8>, s: &str) {
    write_header(out, Some(0x80), 0xD0, s.len());
    out.extend_from_slice(s.as_bytes());
}

/// Writes a byte array.
pub fn write_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    write_header(out, None, 0xCC, bytes.len());
    out.extend_from_slice(bytes);
}

/// Writes the header of a list of `len` items (the items follow).
pub fn write_list_header(out: &mut Vec<u8>, len: usize) {
    write_header(out, Some(0x90), 0xD4, len);
}

/// Writes the header of a map of `len` entries (key, value pairs follow).
pub fn write_map_header(out: &mut Vec<u8>, len: usize) {
    write_header(out, Some(0xA0), 0xD8, len);
}

/// Writes the header of a structure (`fields` values follow; at most 15).
pub fn write_struct_header(out: &mut Vec<u8>, tag: u8, fields: u8) {
    out.push(0xB0 | (fields & 0x0F));
    out.push(tag);
}

/// Writes any value.
pub fn write_value(out: &mut Vec<u8>, value: &PackValue) {
    match value {
        PackValue::Null => write_null(out),
        PackValue::Boolean(b) => write_bool(out, *b),
        PackValue::Integer(i) => write_int(out, *i),
        PackValue::Float(x) => write_float(out, *x),
        PackValue::Bytes(b) => write_bytes(out, b),
        PackValue::String(s) => write_string(out, s),
        PackValue::List(items) => {
            write_list_header(out, items.len());
            for item in items {
                write_value(out, item);
            }
        }
        PackValue::Map(entries) => {
            write_map_header(out, entries.len());
            for (k, v) in entries {
                write_string(out, k);
                write_value(out, v);
            }
        }
        PackValue::Struct(s) => {
            write_struct_header(out, s.tag, s.fields.len() as u8);
            for field in &s.fields {
                write_value(out, field);
            }
        }
    }
}

/// Encodes one value into a new buffer.
pub fn encode(value: &PackValue) -> Vec<u8> {
    let mut out = Vec::new();
    write_value(&mut out, value);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(value: &PackValue) {
        let bytes = encode(value);
        assert_eq!(
            &decode(&bytes).expect("decodes"),
            value,
            "bytes {bytes:02X?}"
        );
    }

    #[test]
    fn integers_take_the_smallest_form() {
        let cases: [(i64, &[u8]); 10] = [
            (0, &[0x00]),
            (127, &[0x7F]),
            (-16, &[0xF0]),
            (-17, &[0xC8, 0xEF]),
            (-128, &[0xC8, 0x80]),
            (128, &[0xC9, 0x00, 0x80]),
            (-129, &[0xC9, 0xFF, 0x7F]),
            (32_768, &[0xCA, 0x00, 0x00, 0x80, 0x00]),
            (2_147_483_648, &[0xCB, 0, 0, 0, 0, 0x80, 0, 0, 0]),
            (i64::MIN, &[0xCB, 0x80, 0, 0, 0, 0, 0, 0, 0]),
        ];
        for (i, bytes) in cases {
            let mut out = Vec::new();
            write_int(&mut out, i);
            assert_eq!(out, bytes, "{i}");
            assert_eq!(decode(bytes), Ok(PackValue::Integer(i)));
        }
    }

    #[test]
    fn every_kind_round_trips() {
        round_trip(&PackValue::Null);
        round_trip(&PackValue::Boolean(true));
        round_trip(&PackValue::Boolean(false));
        round_trip(&PackValue::Float(-1.5));
        round_trip(&PackValue::Bytes(vec![1, 2, 3]));
        round_trip(&PackValue::Bytes(vec![7; 300]));
        round_trip(&PackValue::Bytes(vec![7; 70_000]));
        for len in [0, 15, 16, 255, 256, 65_535, 65_536] {
            round_trip(&PackValue::String("x".repeat(len)));
            round_trip(&PackValue::List(vec![
                PackValue::Integer(1);
                len.min(70_000)
            ]));
        }
        for len in [0, 15, 16, 300] {
            round_trip(&PackValue::Map(
                (0..len)
                    .map(|i| (format!("k{i}"), PackValue::Integer(i)))
                    .collect(),
            ));
        }
        round_trip(&PackValue::Struct(PackStruct {
            tag: 0x4E,
            fields: vec![
                PackValue::Integer(1),
                PackValue::List(vec![PackValue::String("Patient".into())]),
                PackValue::Map(vec![("name".into(), PackValue::String("Ann".into()))]),
            ],
        }));
        assert_eq!(encode(&PackValue::String("é".into())), [0x82, 0xC3, 0xA9]);
    }

    #[test]
    fn malformed_input_is_refused_without_panicking() {
        assert_eq!(decode(&[]), Err(PackError::UnexpectedEnd { at: 0 }));
        assert_eq!(
            decode(&[0xC7]),
            Err(PackError::UnknownMarker {
                marker: 0xC7,
                at: 0
            })
        );
        // A list that claims four billion items in five bytes.
        assert_eq!(
            decode(&[0xD6, 0xFF, 0xFF, 0xFF, 0xFF]),
            Err(PackError::UnexpectedEnd { at: 0 })
        );
        assert_eq!(
            decode(&[0xD2, 0xFF, 0xFF, 0xFF, 0xFF, b'a']),
            Err(PackError::UnexpectedEnd { at: 0 })
        );
        assert_eq!(
            decode(&[0x82, 0xFF, 0xFE]),
            Err(PackError::InvalidUtf8 { at: 0 })
        );
        assert_eq!(
            decode(&[0xA1, 0x01, 0x01]),
            Err(PackError::NonStringKey { at: 1 })
        );
        assert_eq!(
            decode(&[0x01, 0x02]),
            Err(PackError::TrailingBytes { count: 1 })
        );
        assert_eq!(
            decode(&[0xC1, 0, 0]),
            Err(PackError::UnexpectedEnd { at: 0 })
        );
        let deep = vec![0x91; 1000];
        assert_eq!(decode(&deep), Err(PackError::TooDeep { limit: MAX_DEPTH }));
        let mut nested = vec![0x91; MAX_DEPTH];
        nested.push(0xC0);
        assert!(decode(&nested).is_ok());
    }
}
