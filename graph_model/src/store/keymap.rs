//! The map behind unique indexes: a key property's value → the one node or
//! relationship that has it.
//!
//! Most keys are short texts, and most of those are FHIR ids written as
//! lowercase UUIDs. Those are kept inline, as a plain 24-byte [`CompactKey`]
//! (a UUID packed into 16 bytes, other texts up to 22 bytes): a lookup
//! compares bytes next to the hash table's slot instead of following a
//! pointer to the text, and copying or dropping a shard (what every
//! transaction does to the shards it writes) moves plain bytes instead of
//! touching the reference count of every text in it. Any other value goes
//! to a second map keyed by the [`Value`] itself. A text has exactly one
//! compact form and a compact form one text, so the two maps never hold the
//! same key.

use super::cowmap::CowHashMap;
use crate::value::Value;

/// Longest text kept inline other than a UUID.
const INLINE_TEXT: usize = 22;

/// A short text or a lowercase UUID, as plain bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum CompactKey {
    /// A canonical lowercase UUID (`8-4-4-4-12` hex digits), packed.
    Uuid([u8; 16]),
    /// A text of at most [`INLINE_TEXT`] bytes, zero-padded.
    Text {
        /// Its length in bytes.
        len: u8,
        /// Its bytes, then zeros.
        bytes: [u8; INLINE_TEXT],
    },
}

impl CompactKey {
    /// The compact form of `value`, when it has one.
    pub(crate) fn of(value: &Value) -> Option<CompactKey> {
        match value {
            Value::String(text) => CompactKey::of_text(text),
            _ => None,
        }
    }

    fn of_text(text: &str) -> Option<CompactKey> {
        if let Some(uuid) = pack_uuid(text.as_bytes()) {
            return Some(CompactKey::Uuid(uuid));
        }
        let len = text.len();
        if len > INLINE_TEXT {
            return None;
        }
        let mut bytes = [0u8; INLINE_TEXT];
        bytes[..len].copy_from_slice(text.as_bytes());
        Some(CompactKey::Text {
            len: u8::try_from(len).ok()?,
            bytes,
        })
    }
}

/// Packs a canonical lowercase UUID; `None` for any other text (uppercase
/// digits included, so that unpacking would give the text back).
fn pack_uuid(text: &[u8]) -> Option<[u8; 16]> {
    /// Where each byte's two hex digits start in `8-4-4-4-12`.
    const DIGIT_PAIRS: [usize; 16] = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
    let text: &[u8; 36] = text.try_into().ok()?;
    if [text[8], text[13], text[18], text[23]] != [b'-'; 4] {
        return None;
    }
    let mut packed = [0u8; 16];
    let mut invalid = 0u8;
    for (byte, &at) in packed.iter_mut().zip(&DIGIT_PAIRS) {
        let (high, low) = (HEX[usize::from(text[at])], HEX[usize::from(text[at + 1])]);
        invalid |= high | low;
        *byte = (high << 4) | (low & 0x0f);
    }
    (invalid & NOT_HEX == 0).then_some(packed)
}

/// Marks a byte that is not a lowercase hex digit in [`HEX`].
const NOT_HEX: u8 = 0x10;

/// The value of each lowercase hex digit; [`NOT_HEX`] for other bytes.
const HEX: [u8; 256] = {
    let mut table = [NOT_HEX; 256];
    let mut digit = 0;
    while digit < 10 {
        table[b'0' as usize + digit] = digit as u8;
        digit += 1;
    }
    let mut letter = 0;
    while letter < 6 {
        table[b'a' as usize + letter] = 10 + letter as u8;
        letter += 1;
    }
    table
};

/// A persistent map from key values to ids (see the module doc).
#[derive(Clone, Debug)]
pub(crate) struct ValueKeyMap<Id> {
    compact: CowHashMap<CompactKey, Id>,
    other: CowHashMap<Value, Id>,
}

impl<Id: Copy> Default for ValueKeyMap<Id> {
    fn default() -> Self {
        ValueKeyMap {
            compact: CowHashMap::new(),
            other: CowHashMap::new(),
        }
    }
}

impl<Id: Copy> ValueKeyMap<Id> {
    /// The id that has `key`.
    pub(crate) fn get(&self, key: &Value) -> Option<Id> {
        match CompactKey::of(key) {
            Some(compact) => self.compact.get(&compact).copied(),
            None => self.other.get(key).copied(),
        }
    }

    /// Gives `key` to `id`, returning the id that had it.
    pub(crate) fn insert(&mut self, key: &Value, id: Id) -> Option<Id> {
        match CompactKey::of(key) {
            Some(compact) => self.compact.insert(compact, id),
            None => self.other.insert(key.clone(), id),
        }
    }

    /// Removes `key`, returning the id that had it.
    pub(crate) fn remove(&mut self, key: &Value) -> Option<Id> {
        match CompactKey::of(key) {
            Some(compact) => self.compact.remove(&compact),
            None => self.other.remove(key),
        }
    }

    /// Number of keys.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.compact.len() + self.other.len()
    }

    /// Approximate heap bytes.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.compact.heap_bytes() + self.other.heap_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Value {
        Value::String(s.into())
    }

    #[test]
    fn uuids_pack_only_in_canonical_lowercase_form() {
        let uuid = "0d08a889-e871-4c06-9a16-ea55e3f5ade7";
        assert!(matches!(
            CompactKey::of(&text(uuid)),
            Some(CompactKey::Uuid(_))
        ));
        // Uppercase, braces, a misplaced dash: not packed, and too long to
        // be inline text, so they go to the other map.
        for other in [
            "0D08A889-E871-4C06-9A16-EA55E3F5ADE7",
            "{0d08a889-e871-4c06-9a16-ea55e3f5ade}",
            "0d08a889e-871-4c06-9a16-ea55e3f5ade7",
            "0d08a889-e871-4c06-9a16-ea55e3f5adeg",
        ] {
            assert_eq!(CompactKey::of(&text(other)), None, "{other}");
        }
        assert_eq!(
            CompactKey::of(&text("abc")),
            CompactKey::of(&text("abc")),
            "the same text, the same key"
        );
        assert_ne!(CompactKey::of(&text("abc")), CompactKey::of(&text("abc\0")));
        assert!(CompactKey::of(&text(&"x".repeat(22))).is_some());
        assert!(CompactKey::of(&text(&"x".repeat(23))).is_none());
        assert!(CompactKey::of(&Value::Integer(7)).is_none());
    }

    #[test]
    fn uuid_packing_keeps_every_digit() {
        let uuid = "0123abcd-4567-89ef-fedc-ba9876543210";
        let Some(CompactKey::Uuid(packed)) = CompactKey::of(&text(uuid)) else {
            panic!("not packed");
        };
        let hex: String = packed
            .iter()
            .flat_map(|b| [b >> 4, b & 0x0f])
            .map(|d| char::from_digit(u32::from(d), 16).expect("a hex digit"))
            .collect();
        assert_eq!(hex, uuid.replace('-', ""));
        // Each position matters: changing any digit changes the key.
        for (i, c) in uuid.char_indices().filter(|(_, c)| *c != '-') {
            let mut other = uuid.to_owned();
            other.replace_range(i..=i, if c == '0' { "1" } else { "0" });
            assert_ne!(
                CompactKey::of(&text(&other)),
                CompactKey::of(&text(uuid)),
                "{other}"
            );
        }
    }

    #[test]
    fn keys_of_every_form_map_exactly() {
        let mut map: ValueKeyMap<u32> = ValueKeyMap::default();
        let lower = text("0d08a889-e871-4c06-9a16-ea55e3f5ade7");
        let upper = text("0D08A889-E871-4C06-9A16-EA55E3F5ADE7");
        let long = text(&"y".repeat(60));
        let keys = [
            lower.clone(),
            upper.clone(),
            long.clone(),
            text(""),
            text("a"),
            Value::Integer(3),
        ];
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(map.insert(key, i as u32), None);
        }
        assert_eq!(map.len(), keys.len());
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(map.get(key), Some(i as u32), "{key:?}");
        }
        // Integer 3 and float 3.0 are the same key, as in `Value`'s equality.
        assert_eq!(map.get(&Value::Float(3.0)), Some(5));
        let old = map.clone();
        assert_eq!(map.insert(&lower, 9), Some(0));
        assert_eq!(map.remove(&upper), Some(1));
        assert_eq!(map.remove(&upper), None);
        assert_eq!(map.get(&lower), Some(9));
        assert_eq!(old.get(&lower), Some(0));
        assert_eq!(old.get(&upper), Some(1));
        assert_eq!(map.get(&long), Some(2));
        assert_eq!(map.get(&text("b")), None);
    }
}
