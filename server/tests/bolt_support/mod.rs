//! A raw Bolt client for the tests: blocking socket, hand-made messages.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use graph_model::Database;
use server::bolt::packstream::{self, PackStruct, PackValue};
use server::bolt::{spawn, BoltSettings, RunningBolt};

/// A server on a free port over `db`.
pub fn start(db: &Database) -> RunningBolt {
    start_with(db, BoltSettings::default())
}

/// A server with settings.
pub fn start_with(db: &Database, settings: BoltSettings) -> RunningBolt {
    spawn(
        db.clone(),
        settings,
        "127.0.0.1:0".parse().expect("address"),
    )
    .expect("bolt server starts")
}

/// A map value from pairs.
pub fn map(entries: &[(&str, PackValue)]) -> PackValue {
    PackValue::Map(
        entries
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    )
}

/// A string value.
pub fn s(text: &str) -> PackValue {
    PackValue::String(text.to_owned())
}

/// A message: a structure with `tag` and `fields`.
pub fn msg(tag: u8, fields: Vec<PackValue>) -> PackValue {
    PackValue::Struct(PackStruct { tag, fields })
}

/// A response: its tag and (for all but RECORD and IGNORED) metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// 0x70 SUCCESS, 0x71 RECORD, 0x7E IGNORED, 0x7F FAILURE.
    pub tag: u8,
    /// The first field (metadata map, or the record's list).
    pub body: PackValue,
}

impl Response {
    /// A metadata entry.
    pub fn get(&self, key: &str) -> Option<&PackValue> {
        self.body.get(key)
    }

    /// Asserts SUCCESS.
    pub fn success(self) -> Response {
        assert_eq!(self.tag, 0x70, "expected SUCCESS, got {self:?}");
        self
    }

    /// The FAILURE code.
    pub fn failure_code(&self) -> &str {
        assert_eq!(self.tag, 0x7F, "expected FAILURE, got {self:?}");
        self.get("code").and_then(PackValue::as_str).unwrap_or("")
    }

    /// The record's values.
    pub fn record(&self) -> &[PackValue] {
        assert_eq!(self.tag, 0x71, "expected RECORD, got {self:?}");
        match &self.body {
            PackValue::List(items) => items,
            other => panic!("record body {other:?}"),
        }
    }
}

/// A raw connection.
pub struct Client {
    /// The socket.
    pub stream: TcpStream,
    /// The agreed version `[0, 0, minor, major]`.
    pub version: [u8; 4],
}

impl Client {
    /// Connects and proposes `proposals` (each `[0, range, minor, major]`).
    pub fn handshake(addr: SocketAddr, proposals: [[u8; 4]; 4]) -> Client {
        let mut stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        let mut hello = vec![0x60, 0x60, 0xB0, 0x17];
        for p in proposals {
            hello.extend_from_slice(&p);
        }
        stream.write_all(&hello).expect("handshake");
        let mut version = [0u8; 4];
        stream.read_exact(&mut version).expect("version");
        Client { stream, version }
    }

    /// Connects with Bolt 5.4 (5.4 down to 5.0 proposed) and logs in.
    pub fn v5(addr: SocketAddr) -> Client {
        Client::v5_auth(
            addr,
            &[
                ("scheme", s("basic")),
                ("principal", s("neo4j")),
                ("credentials", s("pw")),
            ],
        )
    }

    /// Connects with Bolt 5.4 and logs in with a bearer token.
    pub fn v5_bearer(addr: SocketAddr, token: &str) -> Client {
        Client::v5_auth(addr, &[("scheme", s("bearer")), ("credentials", s(token))])
    }

    /// Connects with Bolt 5.4, says HELLO and sends LOGON with `auth`
    /// (which must succeed).
    pub fn v5_auth(addr: SocketAddr, auth: &[(&str, PackValue)]) -> Client {
        let mut client = Client::v5_hello(addr);
        client.request(&msg(0x6A, vec![map(auth)])).success();
        client
    }

    /// Connects with Bolt 5.4 and says HELLO, not yet logged in.
    pub fn v5_hello(addr: SocketAddr) -> Client {
        let mut client = Client::handshake(addr, [[0, 4, 4, 5], [0; 4], [0; 4], [0; 4]]);
        assert_eq!(client.version, [0, 0, 4, 5]);
        client
            .request(&msg(0x01, vec![map(&[("user_agent", s("test/1"))])]))
            .success();
        client
    }

    /// Connects with Bolt 4.4 and says HELLO (with `extra` entries added).
    pub fn v4(addr: SocketAddr, extra: &[(&str, PackValue)]) -> Client {
        let mut client = Client::handshake(addr, [[0, 0, 4, 4], [0; 4], [0; 4], [0; 4]]);
        assert_eq!(client.version, [0, 0, 4, 4]);
        let mut entries = vec![("user_agent", s("test/1")), ("scheme", s("none"))];
        entries.extend_from_slice(extra);
        client.request(&msg(0x01, vec![map(&entries)])).success();
        client
    }

    /// Sends raw bytes.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send");
    }

    /// Sends a message in chunks of at most `chunk` bytes.
    pub fn send_chunked(&mut self, message: &PackValue, chunk: usize) {
        let bytes = packstream::encode(message);
        let mut wire = Vec::new();
        for part in bytes.chunks(chunk) {
            wire.extend_from_slice(&(part.len() as u16).to_be_bytes());
            wire.extend_from_slice(part);
        }
        wire.extend_from_slice(&[0, 0]);
        self.send_raw(&wire);
    }

    /// Sends a message.
    pub fn send(&mut self, message: &PackValue) {
        self.send_chunked(message, 0xFFFF);
    }

    /// Reads one response; `None` when the server closed the connection.
    pub fn try_recv(&mut self) -> Option<Response> {
        let mut bytes = Vec::new();
        loop {
            let mut size = [0u8; 2];
            if self.stream.read_exact(&mut size).is_err() {
                return None;
            }
            let size = usize::from(u16::from_be_bytes(size));
            if size == 0 {
                if bytes.is_empty() {
                    continue;
                }
                break;
            }
            let start = bytes.len();
            bytes.resize(start + size, 0);
            self.stream.read_exact(&mut bytes[start..]).ok()?;
        }
        match packstream::decode(&bytes).expect("response decodes") {
            PackValue::Struct(PackStruct { tag, mut fields }) => Some(Response {
                tag,
                body: if fields.is_empty() {
                    PackValue::Null
                } else {
                    fields.remove(0)
                },
            }),
            other => panic!("response is not a structure: {other:?}"),
        }
    }

    /// Reads one response.
    pub fn recv(&mut self) -> Response {
        self.try_recv().expect("a response")
    }

    /// Sends a message and reads one response.
    pub fn request(&mut self, message: &PackValue) -> Response {
        self.send(message);
        self.recv()
    }

    /// `true` once the server has closed the connection.
    pub fn is_closed(&mut self) -> bool {
        let mut byte = [0u8; 1];
        matches!(self.stream.read(&mut byte), Ok(0) | Err(_))
    }

    /// RUN with parameters and extra; returns the SUCCESS or FAILURE.
    pub fn run(&mut self, query: &str, params: PackValue, extra: PackValue) -> Response {
        self.request(&msg(0x10, vec![s(query), params, extra]))
    }

    /// PULL {n}; returns the records and the final response.
    pub fn pull(&mut self, n: i64) -> (Vec<Vec<PackValue>>, Response) {
        self.send(&msg(0x3F, vec![map(&[("n", PackValue::Integer(n))])]));
        let mut records = Vec::new();
        loop {
            let response = self.recv();
            if response.tag == 0x71 {
                records.push(response.record().to_vec());
            } else {
                return (records, response);
            }
        }
    }

    /// RUN then PULL all; the records (panics on a failure).
    pub fn query(&mut self, query: &str, params: PackValue) -> Vec<Vec<PackValue>> {
        self.run(query, params, map(&[])).success();
        let (records, summary) = self.pull(-1);
        summary.success();
        records
    }
}
