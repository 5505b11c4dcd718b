#![allow(dead_code)] // each test binary uses part of these helpers
//! A server on the bundled Synthea sample for the GraphQL tests, and small
//! HTTP helpers.

use std::sync::OnceLock;
use std::time::Duration;

use graph_model::fhir::{load_paths, LoadOptions};
use graph_model::Database;
use serde_json::{json, Value as Json};
use server::graphql::Limits;
use server::http::{spawn_full, AppState, Metrics, QuerySettings, RunningServer};

/// A running server and its database.
pub struct Server {
    pub running: RunningServer,
    #[allow(dead_code)]
    pub db: Database,
}

/// The sample loaded into a new in-memory database.
pub fn sample_db() -> Database {
    let db = Database::in_memory();
    let report = load_paths(
        &db,
        &server::commands::serve::demo_paths(),
        LoadOptions::default(),
        &mut |_| {},
    )
    .expect("load the bundled sample");
    assert!(report.records_loaded > 1000, "the sample loads");
    db
}

/// A server over `db` with `limits`.
pub fn start(db: Database, limits: Limits) -> Server {
    let state = AppState {
        db: db.clone(),
        data_dir: None,
        metrics: Metrics::default(),
        max_body_bytes: 16 << 20,
        policies: server::security::PolicyBuilder::new(server::security::PseudonymKey::random()),
        audit: std::sync::Arc::new(server::audit::AuditLog::disabled()),
        max_query_bytes: server::settings::DEFAULT_MAX_QUERY_BYTES,
        // In-process embedding: no authentication (the security tests run the
        // enforcing configuration).
        auth: std::sync::Arc::new(server::auth::AuthConfig::disabled()),
    };
    let running = spawn_full(
        state,
        QuerySettings::default(),
        limits,
        "127.0.0.1:0".parse().expect("addr"),
        2,
    )
    .expect("start the server");
    Server { running, db }
}

/// One server on the sample shared by the read-only tests.
pub fn shared() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| start(sample_db(), Limits::default()))
}

impl Server {
    /// `http://addr{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.running.addr)
    }

    /// The JSON answer of a GraphQL request.
    pub fn graphql(&self, query: &str, variables: &Json) -> Json {
        let body = json!({"query": query, "variables": variables}).to_string();
        let response = ureq::post(&self.url("/graphql"))
            .set("Content-Type", "application/json")
            .timeout(Duration::from_secs(60))
            .send_string(&body);
        let response = match response {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("POST /graphql: {e}"),
        };
        let text = response.into_string().expect("body");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
    }

    /// `data` of a request that must succeed.
    pub fn data(&self, query: &str, variables: &Json) -> Json {
        let answer = self.graphql(query, variables);
        assert!(
            answer.get("errors").is_none(),
            "{query}\nfailed: {answer:#}"
        );
        answer["data"].clone()
    }

    /// The `extensions.code` of the first error of a request that must fail.
    pub fn error_code(&self, query: &str, variables: &Json) -> (String, String) {
        let answer = self.graphql(query, variables);
        let error = &answer["errors"][0];
        assert!(!error.is_null(), "{query}\nshould fail: {answer:#}");
        (
            error["extensions"]["code"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
            error["message"].as_str().unwrap_or("").to_owned(),
        )
    }

    /// The rows of a Cypher query over the Query API.
    pub fn cypher(&self, statement: &str, parameters: &Json) -> Vec<Json> {
        let body = json!({"statement": statement, "parameters": parameters}).to_string();
        let response = ureq::post(&self.url("/db/neo4j/query/v2"))
            .set("Content-Type", "application/json")
            .send_string(&body)
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
        let json: Json =
            serde_json::from_str(&response.into_string().expect("body")).expect("json");
        json["data"]["values"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// A single integer from Cypher.
    pub fn cypher_count(&self, statement: &str, parameters: &Json) -> i64 {
        let rows = self.cypher(statement, parameters);
        rows[0][0]
            .as_i64()
            .unwrap_or_else(|| panic!("{statement}: {rows:?}"))
    }
}

/// A graphql-transport-ws connection.
pub type Socket = tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<std::net::TcpStream>>;

/// Opens a graphql-transport-ws connection to `addr`, says
/// `connection_init` (with `init_payload`, e.g. the token, when given),
/// waits for the ack and subscribes with `query` as id `1`.
pub fn subscribe(addr: std::net::SocketAddr, init_payload: Option<Json>, query: &str) -> Socket {
    let mut request =
        tungstenite::client::IntoClientRequest::into_client_request(format!("ws://{addr}/graphql"))
            .expect("request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    let (mut socket, _) = tungstenite::connect(request).expect("websocket");
    if let tungstenite::stream::MaybeTlsStream::Plain(stream) = socket.get_ref() {
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
    }
    let mut init = json!({"type": "connection_init"});
    if let Some(payload) = init_payload {
        init["payload"] = payload;
    }
    socket
        .send(tungstenite::Message::text(init.to_string()))
        .expect("init");
    let ack = next_message(&mut socket);
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    socket
        .send(tungstenite::Message::text(
            json!({"id": "1", "type": "subscribe", "payload": {"query": query}}).to_string(),
        ))
        .expect("subscribe");
    socket
}

/// The next message of the connection that is not a ping.
pub fn next_message(socket: &mut Socket) -> Json {
    loop {
        match socket.read().expect("a websocket message") {
            tungstenite::Message::Text(text) => {
                let json: Json = serde_json::from_str(text.as_str()).expect("json");
                if json["type"] != "ping" {
                    return json;
                }
            }
            tungstenite::Message::Ping(_) | tungstenite::Message::Pong(_) => {}
            other => panic!("unexpected message {other:?}"),
        }
    }
}
