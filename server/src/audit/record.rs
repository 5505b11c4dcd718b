//! One audit record: what a request handler reports ([`AuditEvent`]), and
//! how it is written as one JSON line with its place in the hash chain
//! ([`Record`]).
//!
//! A line is the compact JSON of the fields `seq`, `time`, `sub`, `role`,
//! `door`, `operation`, `patients`, `outcome`, `prev` in that order (the
//! record's *body*), with `"hash":"<hex>"` added as the last field, where
//! the hash is the SHA-256 of the body's bytes. `prev` is the SHA-256 of the
//! previous record's whole line (without its newline), or 64 zeros for the
//! first record. A line that does not re-encode to exactly its own bytes is
//! not one the log wrote.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `prev` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The longest `operation` kept in a record, in bytes; a longer query text
/// is cut at a character boundary and marked.
pub const MAX_OPERATION_BYTES: usize = 64 * 1024;

/// Which interface a request came through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Door {
    /// `POST /graphql` (and its websocket).
    GraphQL,
    /// `POST /db/{database}/query/v2`.
    CypherHttp,
    /// The Bolt protocol.
    Bolt,
    /// `POST /cds-services/{id}`.
    CdsHooks,
    /// `POST /fhir`.
    Fhir,
    /// The `caregraph cypher` shell on a data directory.
    Shell,
}

impl Door {
    /// The name written in records.
    pub fn name(self) -> &'static str {
        match self {
            Door::GraphQL => "graphql",
            Door::CypherHttp => "cypherhttp",
            Door::Bolt => "bolt",
            Door::CdsHooks => "cdshooks",
            Door::Fhir => "fhir",
            Door::Shell => "shell",
        }
    }
}

impl fmt::Display for Door {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a request ended. Written as `"ok"`, `"refused"` or `"error:CODE"`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Outcome {
    /// Answered.
    Ok,
    /// Not allowed (authentication or authorization).
    Refused,
    /// Failed, with a short code (e.g. a Neo4j status or a GraphQL error
    /// code).
    Error(String),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Ok => f.write_str("ok"),
            Outcome::Refused => f.write_str("refused"),
            Outcome::Error(code) => write!(f, "error:{code}"),
        }
    }
}

impl From<Outcome> for String {
    fn from(outcome: Outcome) -> String {
        outcome.to_string()
    }
}

impl TryFrom<String> for Outcome {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        match text.as_str() {
            "ok" => Ok(Outcome::Ok),
            "refused" => Ok(Outcome::Refused),
            _ => match text.strip_prefix("error:") {
                Some(code) if !code.is_empty() => Ok(Outcome::Error(code.to_owned())),
                _ => Err(format!(
                    "outcome `{text}`: expected ok, refused or error:CODE"
                )),
            },
        }
    }
}

/// What a request handler reports to the log; the log adds the sequence
/// number, the time and the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    /// Who: the authenticated principal (user or client id).
    pub subject: String,
    /// Their role.
    pub role: String,
    /// Which interface.
    pub door: Door,
    /// The query text, or the name of the operation.
    pub operation: String,
    /// The ids of the patients whose data the request touched.
    pub patient_ids: Vec<String>,
    /// How it ended.
    pub outcome: Outcome,
}

/// The hashed fields of a record, in the order they are written.
#[derive(Serialize)]
struct Body<'a> {
    seq: u64,
    time: &'a str,
    sub: &'a str,
    role: &'a str,
    door: Door,
    operation: &'a str,
    patients: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    patients_count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    patients_set: Option<&'a str>,
    outcome: &'a Outcome,
    prev: &'a str,
}

/// One record as read back from the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// Sequence number, from 1, one more per record.
    pub seq: u64,
    /// When it was appended: UTC, RFC 3339 with milliseconds.
    pub time: String,
    /// Who.
    pub sub: String,
    /// Their role.
    pub role: String,
    /// Which interface.
    pub door: Door,
    /// The query text or operation.
    pub operation: String,
    /// The patient ids touched (empty when they are in a set file).
    pub patients: Vec<String>,
    /// How many patients were touched, when they are in a set file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patients_count: Option<u64>,
    /// The SHA-256 of the set file holding the patient ids touched, when
    /// there were more than [`super::sets::MAX_LISTED_PATIENTS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patients_set: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// SHA-256 (hex) of the previous record's line, or [`GENESIS`].
    pub prev: String,
    /// SHA-256 (hex) of this record's body.
    pub hash: String,
}

impl Record {
    /// The line this record is written as (without the newline): its body
    /// with the body's hash appended. Verification compares this with the
    /// line read, and `hash` with the hash computed here.
    pub fn encode(&self) -> Result<(Vec<u8>, String), serde_json::Error> {
        let mut line = Vec::with_capacity(256 + self.operation.len());
        let hash = encode_line(
            &mut line,
            &Body {
                seq: self.seq,
                time: &self.time,
                sub: &self.sub,
                role: &self.role,
                door: self.door,
                operation: &self.operation,
                patients: &self.patients,
                patients_count: self.patients_count,
                patients_set: self.patients_set.as_deref(),
                outcome: &self.outcome,
                prev: &self.prev,
            },
        )?;
        Ok((line, hash))
    }

    /// `true` when the record itself lists the patient (as `ID` or
    /// `Patient/ID`); a record with a [`Record::patients_set`] has them in
    /// its set file ([`super::sets::SetReader::holds`]).
    pub fn touches_patient(&self, id: &str) -> bool {
        self.patients
            .iter()
            .any(|p| p == id || p.strip_prefix("Patient/") == Some(id))
    }
}

/// The fields of a record its event decides (`sub` to `outcome`), encoded
/// ahead, outside the log's lock.
#[derive(Serialize)]
struct Middle<'a> {
    sub: &'a str,
    role: &'a str,
    door: Door,
    operation: &'a str,
    patients: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    patients_count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    patients_set: Option<&'a str>,
    outcome: &'a Outcome,
}

/// An event encoded up to the fields the log adds (sequence number, time,
/// chain).
pub(crate) struct Prepared {
    /// `"sub":…,"outcome":"…"`: the middle of the body, without braces.
    middle: Vec<u8>,
}

impl Prepared {
    /// Encodes `event`'s fields; with `set` (its SHA-256 and count), the
    /// patients are named by their set file instead of listed.
    pub(crate) fn new(
        event: &AuditEvent,
        set: Option<(&str, u64)>,
    ) -> Result<Prepared, serde_json::Error> {
        let mut middle = serde_json::to_vec(&Middle {
            sub: &event.subject,
            role: &event.role,
            door: event.door,
            operation: &event.operation,
            patients: if set.is_some() {
                &[]
            } else {
                &event.patient_ids
            },
            patients_count: set.map(|(_, count)| count),
            patients_set: set.map(|(digest, _)| digest),
            outcome: &event.outcome,
        })?;
        // `{…}` → `…`
        middle.pop();
        middle.remove(0);
        Ok(Prepared { middle })
    }

    /// Appends the record's line (without newline) to `out`: byte for byte
    /// what [`Record::encode`] writes for the same fields. Returns the
    /// body hash.
    pub(crate) fn line(
        &self,
        out: &mut Vec<u8>,
        seq: u64,
        time: &str,
        prev: &str,
    ) -> Result<String, serde_json::Error> {
        let start = out.len();
        out.extend_from_slice(b"{\"seq\":");
        out.extend_from_slice(seq.to_string().as_bytes());
        out.extend_from_slice(b",\"time\":");
        serde_json::to_writer(&mut *out, time)?;
        out.push(b',');
        out.extend_from_slice(&self.middle);
        out.extend_from_slice(b",\"prev\":");
        serde_json::to_writer(&mut *out, prev)?;
        out.push(b'}');
        Ok(seal(out, start))
    }
}

/// Appends the line of a new record (without newline) to `out`; returns
/// the record's body hash.
#[cfg(test)]
fn encode_event(
    out: &mut Vec<u8>,
    seq: u64,
    time: &str,
    event: &AuditEvent,
    prev: &str,
) -> Result<String, serde_json::Error> {
    Prepared::new(event, None)?.line(out, seq, time, prev)
}

fn encode_line(out: &mut Vec<u8>, body: &Body<'_>) -> Result<String, serde_json::Error> {
    let start = out.len();
    serde_json::to_writer(&mut *out, body)?;
    Ok(seal(out, start))
}

/// Hashes the body at `out[start..]` and replaces its closing brace with
/// the `hash` field.
fn seal(out: &mut Vec<u8>, start: usize) -> String {
    let hash = sha256_hex(&out[start..]);
    // The body is a JSON object: replace its closing brace with the hash.
    out.pop();
    out.extend_from_slice(b",\"hash\":\"");
    out.extend_from_slice(hash.as_bytes());
    out.extend_from_slice(b"\"}");
    hash
}

/// Cuts `operation` to [`MAX_OPERATION_BYTES`] at a character boundary,
/// saying how long it was.
pub(crate) fn bounded_operation(operation: &mut String) {
    if operation.len() <= MAX_OPERATION_BYTES {
        return;
    }
    let total = operation.len();
    let mut cut = MAX_OPERATION_BYTES;
    while !operation.is_char_boundary(cut) {
        cut -= 1;
    }
    operation.truncate(cut);
    operation.push_str("…[truncated: ");
    operation.push_str(&total.to_string());
    operation.push_str(" bytes]");
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The current time as records write it.
pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> AuditEvent {
        AuditEvent {
            subject: "ann".into(),
            role: "clinician".into(),
            door: Door::CypherHttp,
            operation: "MATCH (p:Patient {id: $id}) RETURN p".into(),
            patient_ids: vec!["p1".into(), "p2".into()],
            outcome: Outcome::Error("Neo.ClientError.Statement.SyntaxError".into()),
        }
    }

    #[test]
    fn a_line_reads_back_to_the_same_bytes_and_hash() {
        let mut line = Vec::new();
        let hash = encode_event(&mut line, 7, "2024-01-02T03:04:05.678Z", &event(), GENESIS)
            .expect("encodes");
        let record: Record = serde_json::from_slice(&line).expect("parses");
        assert_eq!(record.seq, 7);
        assert_eq!(record.door, Door::CypherHttp);
        assert_eq!(record.hash, hash);
        let (again, recomputed) = record.encode().expect("encodes");
        assert_eq!(again, line);
        assert_eq!(recomputed, hash);
        let text = String::from_utf8(line).expect("utf-8");
        assert!(text.starts_with(r#"{"seq":7,"time":"2024-01-02T03:04:05.678Z","sub":"ann","role":"clinician","door":"cypherhttp","#));
        assert!(text.contains(r#""outcome":"error:Neo.ClientError.Statement.SyntaxError""#));
    }

    #[test]
    fn prepared_lines_match_the_record_encoding_for_any_text() {
        for text in [
            "a \"quoted\" \\ path",
            "line\nbreak\ttab\u{1}\u{7f}",
            "ünïcødé ✓ 🙂",
            "",
        ] {
            let mut e = event();
            e.operation = text.into();
            e.subject = text.into();
            e.patient_ids = vec![text.into(), String::new()];
            let mut line = Vec::new();
            let hash = encode_event(&mut line, u64::MAX, "2024-01-02T03:04:05.678Z", &e, GENESIS)
                .expect("encodes");
            let record: Record = serde_json::from_slice(&line).expect("parses");
            assert_eq!(record.operation, text);
            assert_eq!(record.encode().expect("encodes"), (line, hash));
        }
    }

    #[test]
    fn a_record_naming_a_patient_set_reads_back_to_the_same_bytes() {
        let digest = sha256_hex(b"a set");
        let mut line = Vec::new();
        let hash = Prepared::new(&event(), Some((&digest, 1_234)))
            .expect("encodes")
            .line(&mut line, 9, "2024-01-02T03:04:05.678Z", GENESIS)
            .expect("encodes");
        let record: Record = serde_json::from_slice(&line).expect("parses");
        assert!(record.patients.is_empty());
        assert_eq!(record.patients_count, Some(1_234));
        assert_eq!(record.patients_set.as_deref(), Some(digest.as_str()));
        assert_eq!(record.encode().expect("encodes"), (line.clone(), hash));
        let text = String::from_utf8(line).expect("utf-8");
        assert!(text.contains(&format!(
            r#""patients":[],"patients_count":1234,"patients_set":"{digest}","outcome""#
        )));
        // A record listing its patients has neither field.
        let mut listed = Vec::new();
        encode_event(
            &mut listed,
            1,
            "2024-01-02T03:04:05.678Z",
            &event(),
            GENESIS,
        )
        .expect("encodes");
        assert!(!String::from_utf8(listed)
            .expect("utf-8")
            .contains("patients_"));
    }

    #[test]
    fn outcomes_and_doors_have_fixed_names() {
        for (outcome, text) in [
            (Outcome::Ok, "\"ok\""),
            (Outcome::Refused, "\"refused\""),
            (Outcome::Error("TIMEOUT".into()), "\"error:TIMEOUT\""),
        ] {
            assert_eq!(serde_json::to_string(&outcome).expect("json"), text);
            assert_eq!(
                serde_json::from_str::<Outcome>(text).expect("parses"),
                outcome
            );
        }
        assert!(serde_json::from_str::<Outcome>("\"error:\"").is_err());
        assert!(serde_json::from_str::<Outcome>("\"fine\"").is_err());
        for door in [
            Door::GraphQL,
            Door::CypherHttp,
            Door::Bolt,
            Door::CdsHooks,
            Door::Fhir,
            Door::Shell,
        ] {
            assert_eq!(
                serde_json::to_string(&door).expect("json"),
                format!("\"{door}\"")
            );
        }
    }

    #[test]
    fn long_operations_are_cut_at_a_character_boundary() {
        let mut op = "é".repeat(MAX_OPERATION_BYTES);
        bounded_operation(&mut op);
        assert!(op.len() < MAX_OPERATION_BYTES + 40);
        assert!(op.ends_with(&format!("[truncated: {} bytes]", 2 * MAX_OPERATION_BYTES)));
        let mut short = "MATCH (n) RETURN n".to_owned();
        bounded_operation(&mut short);
        assert_eq!(short, "MATCH (n) RETURN n");
    }

    #[test]
    fn sha256_of_nothing_is_the_known_value() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
