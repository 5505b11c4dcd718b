//! Sharing of repeated short strings.
//!
//! Clinical data repeats the same short texts millions of times (status
//! codes, encounter classes, code displays). The interner hands out one
//! shared `Arc<str>` per distinct text, so each copy costs a pointer instead
//! of an allocation. Long strings (more likely unique) are left alone.

use std::sync::Arc;

use hashbrown::HashSet;

use crate::value::Value;

/// Strings longer than this are not interned.
pub const MAX_INTERNED_BYTES: usize = 96;
/// The interner stops growing at this many distinct strings (it is a cache,
/// not a registry: unique values such as ids would only fill it).
const MAX_ENTRIES: usize = 1 << 20;

/// A set of shared strings.
#[derive(Debug, Default)]
pub struct StringInterner {
    strings: HashSet<Arc<str>>,
}

impl StringInterner {
    /// A new, empty interner.
    pub fn new() -> Self {
        Self::default()
    }

    /// The shared copy of `text`.
    pub fn intern(&mut self, text: &Arc<str>) -> Arc<str> {
        if text.len() > MAX_INTERNED_BYTES {
            return text.clone();
        }
        if let Some(shared) = self.strings.get(&**text) {
            return shared.clone();
        }
        if self.strings.len() < MAX_ENTRIES {
            self.strings.insert(text.clone());
        }
        text.clone()
    }

    /// `value` with its strings (also inside lists) shared.
    pub fn intern_value(&mut self, value: Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.intern(&s)),
            Value::List(items) if items.iter().any(|v| matches!(v, Value::String(_))) => {
                Value::List(
                    items
                        .iter()
                        .cloned()
                        .map(|v| self.intern_value(v))
                        .collect(),
                )
            }
            other => other,
        }
    }

    /// Number of distinct strings held.
    pub fn len(&self) -> usize {
        self.strings.len()
    }

    /// `true` when empty.
    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_share_one_allocation() {
        let mut interner = StringInterner::new();
        let a: Arc<str> = Arc::from("completed");
        let b: Arc<str> = Arc::from("completed");
        let first = interner.intern(&a);
        let second = interner.intern(&b);
        assert!(Arc::ptr_eq(&first, &second));
        let long: Arc<str> = Arc::from("x".repeat(200));
        assert!(Arc::ptr_eq(&interner.intern(&long), &long));
        assert_eq!(interner.len(), 1);
    }
}
