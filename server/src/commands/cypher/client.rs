//! The Query API client of `caregraph cypher --url`.

use std::time::Duration;

use serde_json::{json, Value as Json};

use super::RunError;
use crate::auth::Secret;

/// Sends statements to `POST {url}/db/neo4j/query/v2`.
pub struct Client {
    endpoint: String,
    agent: ureq::Agent,
    authorization: Option<String>,
}

impl Client {
    /// A client for the server at `url` (e.g. `http://127.0.0.1:7474`),
    /// sending `token` as a bearer token.
    pub fn new(url: &str, token: Option<Secret>) -> Client {
        let base = url.trim_end_matches('/');
        let base = if base.contains("://") {
            base.to_owned()
        } else {
            format!("http://{base}")
        };
        Client {
            endpoint: format!("{base}/db/neo4j/query/v2"),
            agent: ureq::AgentBuilder::new()
                .timeout_connect(Duration::from_secs(10))
                .build(),
            authorization: token.map(|t| format!("Bearer {}", t.expose())),
        }
    }

    /// The URL statements are posted to.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Runs one statement; the answer is the server's JSON body, or its
    /// first error.
    pub fn query(&self, statement: &str, params: &Json) -> Result<Json, RunError> {
        let request = json!({"statement": statement, "parameters": params});
        let mut call = self
            .agent
            .post(&self.endpoint)
            .set("Content-Type", "application/json")
            .set("Accept", "application/json");
        if let Some(authorization) = &self.authorization {
            call = call.set("Authorization", authorization);
        }
        let response = call.send_string(&request.to_string());
        let (status, response) = match response {
            Ok(r) => (r.status(), r),
            Err(ureq::Error::Status(code, r)) => (code, r),
            Err(e) => {
                return Err(RunError::Connection(format!(
                    "cannot reach the server at {}: {e}",
                    self.endpoint
                )))
            }
        };
        let text = response.into_string().map_err(|e| {
            RunError::Connection(format!("reading the answer of {}: {e}", self.endpoint))
        })?;
        let body: Json = serde_json::from_str(&text).map_err(|_| {
            RunError::Connection(format!(
                "{} answered {status} with something other than the Query API's JSON: {}",
                self.endpoint,
                text.chars().take(200).collect::<String>()
            ))
        })?;
        if let Some(error) = body["errors"].as_array().and_then(|e| e.first()) {
            return Err(RunError::query(
                error["code"]
                    .as_str()
                    .unwrap_or("Neo.DatabaseError.General.UnknownError"),
                error["message"].as_str().unwrap_or("(no message)"),
            ));
        }
        if !(200..300).contains(&status) || !body["data"].is_object() {
            return Err(RunError::Connection(format!(
                "{} answered {status} without data",
                self.endpoint
            )));
        }
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_built_from_base_urls() {
        assert_eq!(
            Client::new("http://127.0.0.1:7474/", None).endpoint(),
            "http://127.0.0.1:7474/db/neo4j/query/v2"
        );
        assert_eq!(
            Client::new("localhost:7474", None).endpoint(),
            "http://localhost:7474/db/neo4j/query/v2"
        );
    }

    #[test]
    fn an_unreachable_server_is_a_connection_error() {
        // A port just released: nothing listens there.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        drop(listener);
        let client = Client::new(&format!("http://127.0.0.1:{port}"), None);
        let err = client.query("RETURN 1", &json!({})).expect_err("refused");
        assert!(
            matches!(&err, RunError::Connection(m) if m.contains("cannot reach the server")),
            "{err:?}"
        );
    }
}
