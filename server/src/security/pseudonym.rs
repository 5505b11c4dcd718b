//! Keyed pseudonyms for patient ids: analysts see `anon-` and 20 hex
//! digits of SHA-256 over a secret key and the id. The same patient has the
//! same pseudonym in every query (so analysts can count and join), and
//! without the key it cannot be turned back into the id.

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;

use std::collections::HashMap;

use graph_model::{GraphState, Value};
use parking_lot::Mutex;
use sha2::{Digest, Sha256};

/// The file in the data directory that keeps the key.
pub const KEY_FILE: &str = "pseudonym.key";

/// A 32-byte secret key for pseudonyms, with the index from pseudonyms
/// back to patient ids (so a lookup by pseudonym is an index seek).
#[derive(Clone)]
pub struct PseudonymKey(Arc<[u8; 32]>, Arc<Mutex<ReverseIndex>>);

/// Pseudonyms of the patients seen so far, and how far the node ids have
/// been scanned.
#[derive(Default)]
struct ReverseIndex {
    ids: HashMap<String, Arc<str>>,
    scanned_to: u32,
}

impl std::fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PseudonymKey(<hidden>)")
    }
}

impl PseudonymKey {
    /// A fresh random key (pseudonyms change when the process restarts).
    pub fn random() -> PseudonymKey {
        PseudonymKey(Arc::new(rand::random()), Arc::default())
    }

    /// The key kept in `dir` (created, readable by the owner only, when
    /// missing), so pseudonyms stay the same across restarts.
    pub fn load_or_create(dir: &Path) -> std::io::Result<PseudonymKey> {
        let path = dir.join(KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let bytes = decode_hex(text.trim()).ok_or_else(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("{} does not hold 64 hex digits", path.display()),
                    )
                })?;
                Ok(PseudonymKey(Arc::new(bytes), Arc::default()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = PseudonymKey::random();
                let tmp = dir.join(format!("{KEY_FILE}.tmp"));
                let mut file = open_private(&tmp)?;
                file.write_all(hex(&key.0[..]).as_bytes())?;
                file.sync_all()?;
                std::fs::rename(&tmp, &path)?;
                Ok(key)
            }
            Err(e) => Err(e),
        }
    }

    /// The pseudonym of `id`.
    pub fn pseudonym(&self, id: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(&self.0[..]);
        hasher.update(id.as_bytes());
        let digest = hasher.finalize();
        format!("anon-{}", &hex(&digest)[..20])
    }

    /// The patient id behind a pseudonym in `state` (patients created
    /// since the last call are indexed first).
    pub fn patient_id(&self, state: &GraphState, pseudonym: &str) -> Option<Arc<str>> {
        if !pseudonym.starts_with("anon-") {
            return None;
        }
        let mut index = self.1.lock();
        if let Some(id) = index.ids.get(pseudonym) {
            return Some(id.clone());
        }
        let (Some(label), Some(key)) = (state.label_id("Patient"), state.prop_key_id("id")) else {
            return None;
        };
        let from = index.scanned_to;
        let mut last = from;
        for node in state.nodes_with_label_from(label, from) {
            last = node.0 + 1;
            if let Some(Value::String(id)) = state.node(node).and_then(|r| r.property(key)) {
                index.ids.insert(self.pseudonym(id), id.clone());
            }
        }
        index.scanned_to = index.scanned_to.max(last);
        index.ids.get(pseudonym).cloned()
    }

    /// The pseudonym of a string value (other values read as `null`).
    pub fn pseudonym_value(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.pseudonym(s).into()),
            _ => Value::Null,
        }
    }
}

fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path)
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn decode_hex(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_stable_per_key_and_differ_across_keys() {
        let dir = tempfile::tempdir().expect("dir");
        let a = PseudonymKey::load_or_create(dir.path()).expect("key");
        let again = PseudonymKey::load_or_create(dir.path()).expect("key");
        assert_eq!(a.pseudonym("p1"), again.pseudonym("p1"));
        assert_ne!(a.pseudonym("p1"), a.pseudonym("p2"));
        assert_ne!(a.pseudonym("p1"), PseudonymKey::random().pseudonym("p1"));
        assert!(a.pseudonym("p1").starts_with("anon-"));
        assert_eq!(a.pseudonym("p1").len(), 25);
    }
}
