//! Patient sets: the ids of a request that touched more than
//! [`MAX_LISTED_PATIENTS`] patients (an aggregate over every claim touches
//! about everyone) are written once, content-addressed, to
//! `audit/patients/<sha256>.jsonl`, and the record names the file by its
//! SHA-256 and the number of ids instead of listing them. Nothing is lost
//! (every id is in the file, and `audit show --patient` looks there), the
//! chain covers the file through its hash, and a query repeated a thousand
//! times writes its few megabytes of ids once instead of a thousand times.
//!
//! A set file has one JSON string per line, in id order, each line ended
//! by a newline; its name is the SHA-256 of its bytes. It is written to a
//! temporary file, fsynced and renamed, and the directory fsynced, before
//! the record that names it is appended.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::path::{Path, PathBuf};

use super::error::AuditError;
use super::read::sync_dir;
use super::record::sha256_hex;

/// The most patient ids a record lists itself; a request that touched
/// more has them in a set file.
pub const MAX_LISTED_PATIENTS: usize = 1_000;

/// The directory of set files in the audit directory.
pub const SETS_DIR: &str = "patients";

/// The path of the set file with this digest.
pub fn set_path(audit_dir: &Path, digest: &str) -> PathBuf {
    audit_dir.join(SETS_DIR).join(format!("{digest}.jsonl"))
}

/// The bytes of the set file of `ids` (sorted and distinct, as a request
/// notes them) and their SHA-256.
pub(crate) fn encode(ids: &[String]) -> Result<(Vec<u8>, String), serde_json::Error> {
    let mut bytes = Vec::with_capacity(ids.iter().map(|id| id.len() + 3).sum());
    for id in ids {
        serde_json::to_writer(&mut bytes, id)?;
        bytes.push(b'\n');
    }
    let digest = sha256_hex(&bytes);
    Ok((bytes, digest))
}

/// Writes a set file unless one with the same length is there already
/// (its name is its hash: a file of that name and length holds those
/// bytes unless it was altered, which `audit verify` detects).
pub(crate) fn write(audit_dir: &Path, digest: &str, bytes: &[u8]) -> Result<(), AuditError> {
    let path = set_path(audit_dir, digest);
    if std::fs::metadata(&path).is_ok_and(|m| m.len() == bytes.len() as u64) {
        return Ok(());
    }
    let dir = audit_dir.join(SETS_DIR);
    std::fs::create_dir_all(&dir).map_err(|e| AuditError::io("creating", &dir, e))?;
    let tmp = dir.join(format!("{digest}.tmp"));
    let mut file = File::create(&tmp).map_err(|e| AuditError::io("creating", &tmp, e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| AuditError::io("writing", &tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| AuditError::io("renaming to", &path, e))?;
    sync_dir(&dir)
}

/// Why a set file does not hold what its record says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetProblem {
    /// There is no such file.
    Missing,
    /// Its bytes do not hash to its name.
    Altered(String),
    /// It holds another number of ids than the record says.
    Count {
        /// Ids in the file.
        found: u64,
        /// Ids the record says.
        expected: u64,
    },
    /// A line is not a JSON string, or the ids are not in strict order.
    Malformed(u64),
}

impl std::fmt::Display for SetProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SetProblem::Missing => f.write_str("the patient set file is missing"),
            SetProblem::Altered(hash) => write!(
                f,
                "the patient set file hashes to {hash}, not to its name: it was changed"
            ),
            SetProblem::Count { found, expected } => write!(
                f,
                "the patient set file has {found} ids, the record says {expected}"
            ),
            SetProblem::Malformed(line) => write!(
                f,
                "line {line} of the patient set file is not a JSON string in id order"
            ),
        }
    }
}

/// Reads set files for `audit show` and `audit verify`, each at most once.
#[derive(Debug)]
pub struct SetReader {
    audit_dir: PathBuf,
    /// Verified digests and their id counts.
    checked: HashMap<String, u64>,
    /// Per (digest, patient): whether the set holds the patient.
    holds: HashMap<(String, String), bool>,
}

impl SetReader {
    /// A reader of the set files of `audit_dir`.
    pub fn new(audit_dir: &Path) -> SetReader {
        SetReader {
            audit_dir: audit_dir.to_path_buf(),
            checked: HashMap::new(),
            holds: HashMap::new(),
        }
    }

    /// Checks that the set file `digest` exists, hashes to its name, holds
    /// `count` ids as one JSON string per line in strict id order.
    pub fn check(
        &mut self,
        digest: &str,
        count: u64,
    ) -> Result<Result<(), SetProblem>, AuditError> {
        if let Some(&found) = self.checked.get(digest) {
            return Ok(if found == count {
                Ok(())
            } else {
                Err(SetProblem::Count {
                    found,
                    expected: count,
                })
            });
        }
        let path = set_path(&self.audit_dir, digest);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Err(SetProblem::Missing)),
            Err(e) => return Err(AuditError::io("reading", path, e)),
        };
        let hash = sha256_hex(&bytes);
        if hash != digest {
            return Ok(Err(SetProblem::Altered(hash)));
        }
        let mut found = 0u64;
        let mut last: Option<String> = None;
        for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            found += 1;
            let id: String = match serde_json::from_slice(line) {
                Ok(id) => id,
                Err(_) => return Ok(Err(SetProblem::Malformed(found))),
            };
            if last.as_ref().is_some_and(|last| *last >= id) {
                return Ok(Err(SetProblem::Malformed(found)));
            }
            last = Some(id);
        }
        self.checked.insert(digest.to_owned(), found);
        Ok(if found == count {
            Ok(())
        } else {
            Err(SetProblem::Count {
                found,
                expected: count,
            })
        })
    }

    /// `true` when the set file `digest` holds `patient` (as `ID` or
    /// `Patient/ID`); a missing file holds nobody.
    pub fn holds(&mut self, digest: &str, patient: &str) -> Result<bool, AuditError> {
        let key = (digest.to_owned(), patient.to_owned());
        if let Some(&holds) = self.holds.get(&key) {
            return Ok(holds);
        }
        let path = set_path(&self.audit_dir, digest);
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(AuditError::io("opening", path, e)),
        };
        let mut holds = false;
        for line in BufReader::new(file).lines() {
            let line = line.map_err(|e| AuditError::io("reading", &path, e))?;
            if let Ok(id) = serde_json::from_str::<String>(&line) {
                if id == patient || id.strip_prefix("Patient/") == Some(patient) {
                    holds = true;
                    break;
                }
            }
        }
        self.holds.insert(key, holds);
        Ok(holds)
    }
}

/// The digests of set files already written by this process (a repeated
/// query does not even look at the disk).
#[derive(Debug, Default)]
pub(crate) struct Written(HashSet<String>);

impl Written {
    /// `true` when `digest` was written by this process.
    pub(crate) fn contains(&self, digest: &str) -> bool {
        self.0.contains(digest)
    }

    /// Notes that `digest` is on disk.
    pub(crate) fn insert(&mut self, digest: String) {
        self.0.insert(digest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        let mut ids: Vec<String> = (0..n).map(|i| format!("p-{i:05}")).collect();
        ids.push("odd \"quoted\"\nid".into());
        ids.sort();
        ids
    }

    #[test]
    fn a_written_set_checks_and_holds_its_ids() {
        let dir = tempfile::tempdir().expect("dir");
        let ids = ids(2_000);
        let (bytes, digest) = encode(&ids).expect("encodes");
        write(dir.path(), &digest, &bytes).expect("writes");
        // Writing it again leaves it as it is.
        write(dir.path(), &digest, &bytes).expect("writes again");
        let mut reader = SetReader::new(dir.path());
        assert_eq!(
            reader.check(&digest, ids.len() as u64).expect("reads"),
            Ok(())
        );
        assert_eq!(
            reader.check(&digest, 5).expect("reads"),
            Err(SetProblem::Count {
                found: ids.len() as u64,
                expected: 5
            })
        );
        assert!(reader.holds(&digest, "p-01999").expect("reads"));
        assert!(reader.holds(&digest, "p-01999").expect("reads again"));
        assert!(reader.holds(&digest, "odd \"quoted\"\nid").expect("reads"));
        assert!(!reader.holds(&digest, "p-99999").expect("reads"));
        assert!(reader.holds(&digest, "Patient/p-00007").is_ok_and(|h| !h));
    }

    #[test]
    fn a_missing_altered_or_disordered_set_is_named() {
        let dir = tempfile::tempdir().expect("dir");
        let ids = ids(10);
        let (bytes, digest) = encode(&ids).expect("encodes");
        let mut reader = SetReader::new(dir.path());
        assert_eq!(
            reader.check(&digest, 11).expect("reads"),
            Err(SetProblem::Missing)
        );
        write(dir.path(), &digest, &bytes).expect("writes");
        let path = set_path(dir.path(), &digest);
        let mut altered = bytes.clone();
        altered[2] = b'q';
        std::fs::write(&path, &altered).expect("alters");
        assert!(matches!(
            SetReader::new(dir.path())
                .check(&digest, 11)
                .expect("reads"),
            Err(SetProblem::Altered(_))
        ));
        // Out of order, named by its own hash: still refused.
        let mut reversed = ids.clone();
        reversed.reverse();
        let mut text = Vec::new();
        for id in &reversed {
            serde_json::to_writer(&mut text, id).expect("json");
            text.push(b'\n');
        }
        let reversed_digest = sha256_hex(&text);
        std::fs::write(set_path(dir.path(), &reversed_digest), &text).expect("writes");
        assert_eq!(
            SetReader::new(dir.path())
                .check(&reversed_digest, 11)
                .expect("reads"),
            Err(SetProblem::Malformed(2))
        );
    }
}
