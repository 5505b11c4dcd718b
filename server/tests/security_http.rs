//! Authentication over HTTP, on an in-process server with the enforcing
//! configuration `serve --jwt-secret` runs: every route but `/health` (and
//! the `GraphiQL` page) refuses missing and bad tokens with `401`,
//! `WWW-Authenticate: Bearer` and a JSON error in the route's shape; good
//! tokens reach the handlers; GraphQL subscriptions take the token in the
//! upgrade or in `connection_init`; the rate limit answers `429` with
//! `Retry-After`; oversized bodies and query texts answer `413`.

mod auth_support;

use std::time::Duration;

use auth_support::{admin_token, bad_tokens, bearer, claims, sign};
use graph_model::Database;
use serde_json::{json, Value as Json};
use server::graphql::Limits;
use server::http::{spawn_full, AppState, QuerySettings, RunningServer};
use tungstenite::Message;

/// A server on an empty graph that checks tokens.
fn start(rate_limit: u32, max_body_bytes: usize, max_query_bytes: usize) -> RunningServer {
    let mut state = AppState::new(
        Database::in_memory(),
        None,
        auth_support::enforcing(rate_limit),
    );
    state.max_body_bytes = max_body_bytes;
    state.max_query_bytes = max_query_bytes;
    spawn_full(
        state,
        QuerySettings::default(),
        Limits::default(),
        "127.0.0.1:0".parse().expect("addr"),
        2,
    )
    .expect("server")
}

/// An answer: status, `WWW-Authenticate`, `Retry-After`, body.
struct Answer {
    status: u16,
    www_authenticate: Option<String>,
    retry_after: Option<String>,
    body: String,
}

impl Answer {
    fn json(&self) -> Json {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

fn send(
    server: &RunningServer,
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: &str,
    body: &str,
) -> Answer {
    let mut request = ureq::request(method, &format!("http://{}{path}", server.addr))
        .timeout(Duration::from_secs(30));
    if let Some(token) = token {
        request = request.set("Authorization", &bearer(token));
    }
    let response = if method == "GET" {
        request.call()
    } else {
        request.set("Content-Type", content_type).send_string(body)
    };
    let response = match response {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {path}: {e}"),
    };
    Answer {
        status: response.status(),
        www_authenticate: response.header("WWW-Authenticate").map(str::to_owned),
        retry_after: response.header("Retry-After").map(str::to_owned),
        body: response.into_string().expect("body"),
    }
}

/// The routes behind authentication, with a request each would accept.
const ROUTES: [(&str, &str, &str, &str); 6] = [
    ("GET", "/metrics", "", ""),
    (
        "POST",
        "/fhir",
        "application/fhir+json",
        r#"{"resourceType": "Patient", "id": "p1"}"#,
    ),
    (
        "POST",
        "/db/neo4j/query/v2",
        "application/json",
        r#"{"statement": "RETURN 1 AS one"}"#,
    ),
    (
        "POST",
        "/db/caregraph/query/v2",
        "application/json",
        r#"{"statement": "RETURN 1 AS one"}"#,
    ),
    (
        "POST",
        "/graphql",
        "application/json",
        r#"{"query": "{ __typename }"}"#,
    ),
    ("GET", "/no-such-route", "", ""),
];

/// The message of an error body, whatever the route's shape.
fn error_message(path: &str, body: &Json) -> String {
    let message = if path.starts_with("/db/") {
        assert_eq!(
            body["errors"][0]["code"], "Neo.ClientError.Security.Unauthorized",
            "{body}"
        );
        &body["errors"][0]["message"]
    } else if path == "/graphql" {
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
            "{body}"
        );
        &body["errors"][0]["message"]
    } else {
        assert_eq!(body["error"]["code"], "unauthorized", "{body}");
        &body["error"]["message"]
    };
    message.as_str().unwrap_or_default().to_owned()
}

#[test]
fn every_route_but_health_refuses_missing_and_bad_tokens() {
    let server = start(0, 1 << 20, 1 << 20);
    for bad in bad_tokens() {
        for (method, path, content_type, body) in ROUTES {
            let answer = send(
                &server,
                method,
                path,
                bad.token.as_deref(),
                content_type,
                body,
            );
            let case = format!("{} on {method} {path}", bad.what);
            assert_eq!(answer.status, 401, "{case}: {}", answer.body);
            let challenge = answer.www_authenticate.clone().unwrap_or_default();
            assert!(
                challenge.starts_with("Bearer realm=\"caregraph\""),
                "{case}: {challenge}"
            );
            if bad.token.is_some() {
                assert!(challenge.contains("error=\""), "{case}: {challenge}");
            }
            let message = error_message(path, &answer.json());
            assert!(message.contains(bad.says), "{case}: {message}");
            if let Some(token) = &bad.token {
                assert!(
                    !answer.body.contains(token.as_str()),
                    "{case}: the token is echoed"
                );
            }
        }
        // /health stays open, whatever is sent.
        let health = send(&server, "GET", "/health", bad.token.as_deref(), "", "");
        assert_eq!(
            (health.status, health.json()),
            (200, json!({"status": "ok"}))
        );
    }
    // A header that is not a bearer token.
    let basic = ureq::get(&format!("http://{}/metrics", server.addr))
        .set("Authorization", "Basic dXNlcjpwYXNzd29yZA==")
        .call();
    match basic {
        Err(ureq::Error::Status(401, r)) => assert!(
            r.header("WWW-Authenticate")
                .is_some_and(|h| h.contains("invalid_request")),
            "{:?}",
            r.header("WWW-Authenticate")
        ),
        other => panic!("Basic auth on /metrics: {other:?}"),
    }
    // The GraphiQL page is static and open; the queries it sends are not.
    let page = send(&server, "GET", "/graphql", None, "", "");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("GraphiQL"), "{}", page.body);
}

#[test]
fn good_tokens_reach_the_handlers() {
    let server = start(0, 1 << 20, 1 << 20);
    let admin = admin_token();
    let cypher = send(
        &server,
        "POST",
        "/db/neo4j/query/v2",
        Some(&admin),
        "application/json",
        r#"{"statement": "RETURN 1 AS one"}"#,
    );
    assert_eq!(cypher.status, 202, "{}", cypher.body);
    assert_eq!(cypher.json()["data"]["values"], json!([[1]]));
    let graphql = send(
        &server,
        "POST",
        "/graphql",
        Some(&admin),
        "application/json",
        r#"{"query": "{ __typename }"}"#,
    );
    assert_eq!(graphql.status, 200);
    assert_eq!(graphql.json()["data"]["__typename"], "Query");
    assert_eq!(send(&server, "GET", "/metrics", None, "", "").status, 401);
    let metrics = send(&server, "GET", "/metrics", Some(&admin), "", "");
    assert_eq!(metrics.status, 200);
    // The refusals are counted, by route pattern.
    assert!(
        metrics
            .body
            .contains("caregraph_http_requests_total{route=\"/metrics\",status=\"401\"}"),
        "{}",
        metrics.body
    );
    let fhir = send(
        &server,
        "POST",
        "/fhir",
        Some(&admin),
        "application/fhir+json",
        r#"{"resourceType": "Patient", "id": "p1", "gender": "female"}"#,
    );
    assert_eq!(fhir.status, 200, "{}", fhir.body);
    // Every role's token is accepted; 30 s of clock skew are allowed.
    let mut clinician = claims("cy", "clinician");
    clinician["orgs"] = json!(["org-1"]);
    let mut service = claims("frontend", "service");
    service["scope"] = json!("analyst");
    let mut skewed = claims("ann", "analyst");
    skewed["exp"] = json!(auth_support::now() - 10);
    for token in [
        sign(&clinician),
        sign(&claims("al", "analyst")),
        sign(&service),
        sign(&skewed),
    ] {
        let answer = send(&server, "GET", "/metrics", Some(&token), "", "");
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    // `aud` may be a list that names caregraph.
    let mut listed = claims("ann", "admin");
    listed["aud"] = json!(["other", "caregraph"]);
    assert_eq!(
        send(&server, "GET", "/metrics", Some(&sign(&listed)), "", "").status,
        200
    );
}

type Socket = tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<std::net::TcpStream>>;

/// A graphql-transport-ws connection, with `authorization` in the upgrade.
fn websocket(
    server: &RunningServer,
    authorization: Option<&str>,
) -> Result<Socket, Box<tungstenite::Error>> {
    let mut request = tungstenite::client::IntoClientRequest::into_client_request(format!(
        "ws://{}/graphql",
        server.addr
    ))
    .expect("request");
    let headers = request.headers_mut();
    headers.insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    if let Some(authorization) = authorization {
        headers.insert("Authorization", authorization.parse().expect("header"));
    }
    let (socket, _) = tungstenite::connect(request).map_err(Box::new)?;
    if let tungstenite::stream::MaybeTlsStream::Plain(stream) = socket.get_ref() {
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
    }
    Ok(socket)
}

/// Sends `connection_init` with `payload`; the first text answer, or
/// `None` when the server closed the connection instead.
fn init(socket: &mut Socket, payload: &Json) -> Option<Json> {
    socket
        .send(Message::text(
            json!({"type": "connection_init", "payload": payload}).to_string(),
        ))
        .expect("init");
    loop {
        match socket.read() {
            Ok(Message::Text(text)) => {
                return Some(serde_json::from_str(text.as_str()).expect("json"))
            }
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

#[test]
fn graphql_subscriptions_take_the_token_in_the_upgrade_or_the_init_payload() {
    let server = start(0, 1 << 20, 1 << 20);
    let admin = admin_token();
    // In the connection_init payload.
    let mut socket = websocket(&server, None).expect("upgrade without a header");
    let ack = init(&mut socket, &json!({"Authorization": bearer(&admin)}));
    assert_eq!(
        ack.map(|a| a["type"].clone()),
        Some(json!("connection_ack"))
    );
    // In the upgrade's header.
    let mut socket = websocket(&server, Some(&bearer(&admin))).expect("upgrade");
    let ack = init(&mut socket, &json!({}));
    assert_eq!(
        ack.map(|a| a["type"].clone()),
        Some(json!("connection_ack"))
    );
    // No token, or a bad one, in the payload: no ack, the connection ends.
    for payload in [
        json!({}),
        json!({"Authorization": bearer(&sign(&claims("ann", "superuser")))}),
        json!({"Authorization": bearer(&auth_support::unsigned(&claims("ann", "admin")))}),
    ] {
        let mut socket = websocket(&server, None).expect("upgrade");
        let answer = init(&mut socket, &payload);
        assert!(
            answer.is_none()
                || answer
                    .as_ref()
                    .is_some_and(|a| a["type"] != "connection_ack"),
            "{payload}: {answer:?}"
        );
    }
    // A bad token in the upgrade's header: 401 before any websocket.
    match websocket(&server, Some("Bearer not-a-jwt")).map_err(|e| *e) {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 401),
        Err(other) => panic!("expected a 401, got {other}"),
        Ok(_) => panic!("expected a 401, got a websocket"),
    }
}

#[test]
fn the_rate_limit_answers_429_with_retry_after() {
    // One request per second, bursts of two.
    let server = start(1, 1 << 20, 1 << 20);
    let admin = admin_token();
    let other = sign(&claims("bob", "admin"));
    let query = |token: &str| {
        send(
            &server,
            "POST",
            "/db/neo4j/query/v2",
            Some(token),
            "application/json",
            r#"{"statement": "RETURN 1"}"#,
        )
    };
    assert_eq!(query(&admin).status, 202);
    assert_eq!(query(&admin).status, 202);
    let limited = query(&admin);
    assert_eq!(limited.status, 429, "{}", limited.body);
    assert_eq!(limited.retry_after.as_deref(), Some("1"));
    assert_eq!(
        limited.json()["errors"][0]["code"],
        "Neo.TransientError.Request.ResourceExhaustion"
    );
    let limited = send(&server, "GET", "/metrics", Some(&admin), "", "");
    assert_eq!(limited.status, 429);
    assert_eq!(limited.json()["error"]["code"], "rate_limited");
    // Another principal has its own budget.
    assert_eq!(query(&other).status, 202);
    // A second later the first has one request again.
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(query(&admin).status, 202);
}

#[test]
fn oversized_bodies_and_query_texts_answer_413() {
    let server = start(0, 4_096, 64);
    let admin = admin_token();
    let long = format!("RETURN '{}' AS x", "a".repeat(100));
    let cypher = send(
        &server,
        "POST",
        "/db/neo4j/query/v2",
        Some(&admin),
        "application/json",
        &json!({"statement": long}).to_string(),
    );
    assert_eq!(cypher.status, 413, "{}", cypher.body);
    assert_eq!(
        cypher.json()["errors"][0]["code"],
        "Neo.ClientError.Request.Invalid"
    );
    let short = send(
        &server,
        "POST",
        "/db/neo4j/query/v2",
        Some(&admin),
        "application/json",
        r#"{"statement": "RETURN 1"}"#,
    );
    assert_eq!(short.status, 202);
    let graphql = send(
        &server,
        "POST",
        "/graphql",
        Some(&admin),
        "application/json",
        &json!({"query": format!("{{ __typename {} }}", " ".repeat(100))}).to_string(),
    );
    assert_eq!(graphql.status, 413, "{}", graphql.body);
    assert_eq!(
        graphql.json()["errors"][0]["extensions"]["code"],
        "PAYLOAD_TOO_LARGE"
    );
    // A body over max_body_bytes is refused before it is read.
    let big = send(
        &server,
        "POST",
        "/fhir",
        Some(&admin),
        "application/fhir+ndjson",
        &"x".repeat(10_000),
    );
    assert_eq!(big.status, 413, "{}", big.body);
}
