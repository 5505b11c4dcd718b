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

/// Lookups per property key before deciding whether its values repeat.
const TRIAL_LOOKUPS: u32 = 1024;
/// Keys whose values were found shared less often than this (per mille)
/// during the trial stop being interned (ids, timestamps as text).
const MIN_HIT_PER_MILLE: u32 = 50;

/// Interning statistics of one property key.
#[derive(Clone, Copy, Debug, Default)]
struct KeyTrial {
    lookups: u32,
    hits: u32,
}

/// A set of shared strings.
#[derive(Debug, Default)]
pub struct StringInterner {
    strings: HashSet<Arc<str>>,
    /// Per property key id: how interning has paid off so far.
    trials: Vec<KeyTrial>,
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

    /// `value` of property `key` with its strings shared, unless the key's
    /// values have proved unique (an id): then it is returned as it is.
    pub fn intern_property(&mut self, key: u32, value: Value) -> Value {
        if !matches!(value, Value::String(_) | Value::List(_)) {
            return value;
        }
        let index = key as usize;
        if self.trials.len() <= index {
            self.trials.resize(index + 1, KeyTrial::default());
        }
        let trial = self.trials[index];
        if trial.lookups >= TRIAL_LOOKUPS && trial.hits * 1000 < trial.lookups * MIN_HIT_PER_MILLE {
            return value;
        }
        let (value, hit) = match value {
            // One lookup: a different allocation back means the text was
            // already shared.
            Value::String(text) => {
                let shared = self.intern(&text);
                let hit = !Arc::ptr_eq(&shared, &text);
                (Value::String(shared), hit)
            }
            other => {
                let before = self.strings.len();
                let value = self.intern_value(other);
                (value, self.strings.len() == before)
            }
        };
        let trial = &mut self.trials[index];
        trial.lookups = trial.lookups.saturating_add(1);
        if hit {
            trial.hits = trial.hits.saturating_add(1);
        }
        value
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

    #[test]
    fn keys_with_unique_values_stop_being_interned() {
        let mut interner = StringInterner::new();
        for i in 0..2000 {
            let id = Value::from(format!("id-{i}"));
            interner.intern_property(0, id);
            interner.intern_property(1, Value::from("completed"));
        }
        // Key 0 stopped after its trial; key 1 stays shared.
        assert!(interner.len() <= 1025 + 1, "{}", interner.len());
        let a = interner.intern_property(1, Value::from("completed"));
        let b = interner.intern_property(1, Value::from("completed"));
        match (a, b) {
            (Value::String(a), Value::String(b)) => assert!(Arc::ptr_eq(&a, &b)),
            _ => panic!("strings expected"),
        }
    }
}
