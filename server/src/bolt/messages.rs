//! Bolt messages: version negotiation, requests as the client sends them,
//! and the responses (`SUCCESS`, `RECORD`, `IGNORED`, `FAILURE`).

use super::error::MessageError;
use super::framing::write_message;
use super::packstream::{self, PackStruct, PackValue};

/// The four bytes that open a Bolt connection.
pub const MAGIC: [u8; 4] = [0x60, 0x60, 0xB0, 0x17];

/// A protocol version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    /// Major version.
    pub major: u8,
    /// Minor version.
    pub minor: u8,
}

impl Version {
    /// Bolt 4.4.
    pub const V4_4: Version = Version { major: 4, minor: 4 };
    /// Bolt 5.1, which moved authentication from `HELLO` to `LOGON`.
    pub const V5_1: Version = Version { major: 5, minor: 1 };
    /// Bolt 5.4, which added `TELEMETRY`.
    pub const V5_4: Version = Version { major: 5, minor: 4 };

    /// The versions this server speaks, best first.
    pub const SUPPORTED: [Version; 6] = [
        Version { major: 5, minor: 4 },
        Version { major: 5, minor: 3 },
        Version { major: 5, minor: 2 },
        Version { major: 5, minor: 1 },
        Version { major: 5, minor: 0 },
        Version::V4_4,
    ];

    /// The four bytes of the handshake answer.
    pub fn to_bytes(self) -> [u8; 4] {
        [0, 0, self.minor, self.major]
    }

    /// `true` from Bolt 5.0: nodes and relationships carry element ids and
    /// date-times are sent in UTC.
    pub fn is_v5(self) -> bool {
        self.major >= 5
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// Picks the version to speak from the client's four proposals (each
/// `[reserved, range, minor, major]`: `major.minor` down to
/// `major.(minor - range)`), taking the proposals in the client's order of
/// preference. `None` when no proposal is one this server speaks.
pub fn negotiate(proposals: &[u8; 16]) -> Option<Version> {
    proposals.chunks_exact(4).find_map(|p| {
        let (range, minor, major) = (p[1], p[2], p[3]);
        let lowest = minor.saturating_sub(range);
        Version::SUPPORTED
            .into_iter()
            .find(|v| v.major == major && v.minor <= minor && v.minor >= lowest)
    })
}

/// A request from the client.
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    /// `HELLO {extra}`: user agent, routing context, and (before 5.1) auth.
    Hello {
        /// The extra map.
        extra: PackValue,
    },
    /// `LOGON {auth}` (5.1+).
    Logon {
        /// The auth map.
        auth: PackValue,
    },
    /// `LOGOFF` (5.1+).
    Logoff,
    /// `GOODBYE`: the client is closing the connection.
    Goodbye,
    /// `RESET`: back to a clean session.
    Reset,
    /// `RUN query parameters extra`.
    Run {
        /// The Cypher text.
        query: String,
        /// The parameter map.
        parameters: PackValue,
        /// db, mode, `tx_timeout`, bookmarks...
        extra: PackValue,
    },
    /// `BEGIN {extra}`.
    Begin {
        /// db, mode, `tx_timeout`, bookmarks...
        extra: PackValue,
    },
    /// `COMMIT`.
    Commit,
    /// `ROLLBACK`.
    Rollback,
    /// `PULL {n, qid}`.
    Pull {
        /// Most records to send (-1: all).
        n: i64,
        /// The result (-1: the last one).
        qid: i64,
    },
    /// `DISCARD {n, qid}`.
    Discard {
        /// Most records to drop (-1: all).
        n: i64,
        /// The result (-1: the last one).
        qid: i64,
    },
    /// `ROUTE routing bookmarks extra`.
    Route {
        /// The routing context (with the `address` the client used).
        routing: PackValue,
        /// The database asked about, if any.
        db: Option<String>,
    },
    /// `TELEMETRY {api}` (5.4+).
    Telemetry,
}

impl Request {
    /// The message's name, for logs and errors.
    pub fn name(&self) -> &'static str {
        match self {
            Request::Hello { .. } => "HELLO",
            Request::Logon { .. } => "LOGON",
            Request::Logoff => "LOGOFF",
            Request::Goodbye => "GOODBYE",
            Request::Reset => "RESET",
            Request::Run { .. } => "RUN",
            Request::Begin { .. } => "BEGIN",
            Request::Commit => "COMMIT",
            Request::Rollback => "ROLLBACK",
            Request::Pull { .. } => "PULL",
            Request::Discard { .. } => "DISCARD",
            Request::Route { .. } => "ROUTE",
            Request::Telemetry => "TELEMETRY",
        }
    }
}

fn bad(message: &'static str, field: &'static str, expected: &'static str) -> MessageError {
    MessageError::BadField {
        message,
        field,
        expected,
    }
}

/// A map field, or an empty map when the field is absent or null.
fn map_field(
    fields: &mut std::vec::IntoIter<PackValue>,
    message: &'static str,
    field: &'static str,
) -> Result<PackValue, MessageError> {
    match fields.next() {
        None | Some(PackValue::Null) => Ok(PackValue::Map(Vec::new())),
        Some(map @ PackValue::Map(_)) => Ok(map),
        Some(_) => Err(bad(message, field, "a map")),
    }
}

/// `n` and `qid` of PULL and DISCARD.
fn n_and_qid(extra: &PackValue, message: &'static str) -> Result<(i64, i64), MessageError> {
    let n = match extra.get("n") {
        None => -1,
        Some(PackValue::Integer(n)) if *n == -1 || *n > 0 => *n,
        Some(_) => return Err(bad(message, "n", "a positive integer or -1")),
    };
    let qid = match extra.get("qid") {
        None => -1,
        Some(PackValue::Integer(q)) => *q,
        Some(_) => return Err(bad(message, "qid", "an integer")),
    };
    Ok((n, qid))
}

/// Reads a request from a decoded message.
pub fn parse_request(message: PackValue) -> Result<Request, MessageError> {
    let PackValue::Struct(PackStruct { tag, fields }) = message else {
        return Err(MessageError::NotAStructure);
    };
    let mut fields = fields.into_iter();
    Ok(match tag {
        0x01 => Request::Hello {
            extra: map_field(&mut fields, "HELLO", "extra")?,
        },
        0x6A => Request::Logon {
            auth: map_field(&mut fields, "LOGON", "auth")?,
        },
        0x6B => Request::Logoff,
        0x02 => Request::Goodbye,
        0x0F => Request::Reset,
        0x10 => {
            let Some(PackValue::String(query)) = fields.next() else {
                return Err(bad("RUN", "query", "a string"));
            };
            Request::Run {
                query,
                parameters: map_field(&mut fields, "RUN", "parameters")?,
                extra: map_field(&mut fields, "RUN", "extra")?,
            }
        }
        0x11 => Request::Begin {
            extra: map_field(&mut fields, "BEGIN", "extra")?,
        },
        0x12 => Request::Commit,
        0x13 => Request::Rollback,
        0x3F => {
            let (n, qid) = n_and_qid(&map_field(&mut fields, "PULL", "extra")?, "PULL")?;
            Request::Pull { n, qid }
        }
        0x2F => {
            let (n, qid) = n_and_qid(&map_field(&mut fields, "DISCARD", "extra")?, "DISCARD")?;
            Request::Discard { n, qid }
        }
        0x66 => {
            let routing = map_field(&mut fields, "ROUTE", "routing")?;
            let _bookmarks = fields.next();
            let db = match fields.next() {
                Some(PackValue::String(db)) => Some(db),
                Some(extra @ PackValue::Map(_)) => extra
                    .get("db")
                    .and_then(PackValue::as_str)
                    .map(str::to_owned),
                None | Some(PackValue::Null) => None,
                Some(_) => return Err(bad("ROUTE", "extra", "a map")),
            };
            Request::Route { routing, db }
        }
        0x54 => Request::Telemetry,
        signature => return Err(MessageError::UnknownSignature { signature }),
    })
}

/// Signature of `SUCCESS`.
pub const SUCCESS: u8 = 0x70;
/// Signature of `RECORD`.
pub const RECORD: u8 = 0x71;
/// Signature of `IGNORED`.
pub const IGNORED: u8 = 0x7E;
/// Signature of `FAILURE`.
pub const FAILURE: u8 = 0x7F;

/// Appends `SUCCESS {metadata}` to `out`, framed.
pub fn write_success(out: &mut Vec<u8>, metadata: Vec<(String, PackValue)>) {
    let message = PackValue::Struct(PackStruct {
        tag: SUCCESS,
        fields: vec![PackValue::Map(metadata)],
    });
    write_message(out, &packstream::encode(&message));
}

/// Appends `FAILURE {code, message}` to `out`, framed.
pub fn write_failure(out: &mut Vec<u8>, code: &str, message: &str) {
    let failure = PackValue::Struct(PackStruct {
        tag: FAILURE,
        fields: vec![PackValue::Map(vec![
            ("code".into(), PackValue::String(code.into())),
            ("message".into(), PackValue::String(message.into())),
        ])],
    });
    write_message(out, &packstream::encode(&failure));
}

/// Appends `IGNORED` to `out`, framed.
pub fn write_ignored(out: &mut Vec<u8>) {
    write_message(out, &[0xB0, IGNORED]);
}

/// A metadata entry.
pub fn entry(key: &str, value: PackValue) -> (String, PackValue) {
    (key.to_owned(), value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proposals(entries: [[u8; 4]; 4]) -> [u8; 16] {
        let mut out = [0u8; 16];
        for (i, e) in entries.iter().enumerate() {
            out[i * 4..i * 4 + 4].copy_from_slice(e);
        }
        out
    }

    #[test]
    fn negotiation_follows_the_client_preference_and_ranges() {
        let none = [0, 0, 0, 0];
        assert_eq!(
            negotiate(&proposals([[0, 0, 4, 4], none, none, none])),
            Some(Version::V4_4)
        );
        // 5.8 down to 5.0: the best this server has is 5.4.
        assert_eq!(
            negotiate(&proposals([[0, 8, 8, 5], [0, 2, 4, 4], none, none])),
            Some(Version::V5_4)
        );
        // 5.2 down to 5.0.
        assert_eq!(
            negotiate(&proposals([[0, 2, 2, 5], none, none, none])),
            Some(Version { major: 5, minor: 2 })
        );
        // 6.0 and 4.3..4.0 are not spoken; 4.4 comes later in the list.
        assert_eq!(
            negotiate(&proposals([[0, 0, 0, 6], [0, 3, 3, 4], [0, 0, 4, 4], none])),
            Some(Version::V4_4)
        );
        assert_eq!(
            negotiate(&proposals([[0, 0, 0, 3], [0, 3, 3, 4], none, none])),
            None
        );
        // A manifest-style proposal (0xFF minor) is skipped.
        assert_eq!(
            negotiate(&proposals([[0, 0, 1, 0xFF], [0, 0, 0, 5], none, none])),
            Some(Version { major: 5, minor: 0 })
        );
    }

    #[test]
    fn requests_parse_with_defaults() {
        let pull = PackValue::Struct(PackStruct {
            tag: 0x3F,
            fields: vec![PackValue::Map(vec![("n".into(), PackValue::Integer(2))])],
        });
        assert_eq!(parse_request(pull), Ok(Request::Pull { n: 2, qid: -1 }));
        let bad_pull = PackValue::Struct(PackStruct {
            tag: 0x3F,
            fields: vec![PackValue::Map(vec![("n".into(), PackValue::Integer(0))])],
        });
        assert!(parse_request(bad_pull).is_err());
        assert_eq!(
            parse_request(PackValue::Integer(1)),
            Err(MessageError::NotAStructure)
        );
        assert_eq!(
            parse_request(PackValue::Struct(PackStruct {
                tag: 0x99,
                fields: Vec::new()
            })),
            Err(MessageError::UnknownSignature { signature: 0x99 })
        );
        let run = PackValue::Struct(PackStruct {
            tag: 0x10,
            fields: vec![PackValue::String("RETURN 1".into())],
        });
        assert_eq!(
            parse_request(run),
            Ok(Request::Run {
                query: "RETURN 1".into(),
                parameters: PackValue::Map(Vec::new()),
                extra: PackValue::Map(Vec::new()),
            })
        );
    }
}
