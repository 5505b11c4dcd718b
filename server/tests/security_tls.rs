//! The real binary with TLS and users: a test CA and a server certificate
//! are made here (rcgen; no key is committed), `caregraph serve --tls-cert
//! --tls-key` serves HTTPS and Bolt over TLS to a client that trusts the
//! CA, plain text to either port fails, a client that does not trust the CA
//! is refused; `caregraph user add` writes a users file whose users log in
//! to Bolt; `serve` refuses to start without a way to authenticate, and
//! names a bad certificate file.

mod auth_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use auth_support::{admin_token, bearer, SECRET};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use server::bolt::packstream::{self, PackStruct, PackValue};

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

fn caregraph(cwd: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_caregraph"));
    command
        .current_dir(cwd)
        .env("CAREGRAPH_LOG", "error")
        .env("CAREGRAPH_CONFIG", cwd.join("no-such-caregraph.toml"))
        .env_remove("CAREGRAPH_JWT_SECRET")
        .env_remove("CAREGRAPH_USERS")
        .env_remove("CAREGRAPH_JWKS")
        .env_remove("CAREGRAPH_TLS_CERT")
        .env_remove("CAREGRAPH_TLS_KEY");
    command
}

/// A CA, and a certificate for localhost / 127.0.0.1 that it signed:
/// writes `cert.pem` and `key.pem` into `dir`, returns the CA certificate.
fn make_certificates(dir: &Path) -> rustls::pki_types::CertificateDer<'static> {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "CareGraph test CA");
    let ca =
        CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("key")).expect("CA");
    let server_key = KeyPair::generate().expect("key");
    let server_cert = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .expect("params")
        .signed_by(&server_key, &ca)
        .expect("server certificate");
    std::fs::write(dir.join("cert.pem"), server_cert.pem()).expect("write cert");
    std::fs::write(dir.join("key.pem"), server_key.serialize_pem()).expect("write key");
    ca.der().clone()
}

fn client_config(ca: rustls::pki_types::CertificateDer<'static>) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca).expect("trust the CA");
    Arc::new(
        rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth(),
    )
}

/// Starts `serve` and waits for "Press Ctrl-C": the child and what it
/// printed.
fn serve(cwd: &Path, args: &[&str]) -> (Child, Vec<String>) {
    let mut child = caregraph(cwd)
        .args(["serve", "--data-dir"])
        .arg(cwd.join("data"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start caregraph serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("line");
        let done = line.contains("Press Ctrl-C");
        lines.push(line);
        if done {
            break;
        }
    }
    assert!(
        lines.last().is_some_and(|l| l.contains("Press Ctrl-C")),
        "serve stopped early: {lines:?}"
    );
    (child, lines)
}

fn stop(child: &mut Child) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(status.success());
    let status = child.wait().expect("wait");
    assert!(status.success(), "serve exited with {status}");
}

/// A Bolt message in chunks, as drivers send it.
fn frame(message: &PackValue) -> Vec<u8> {
    let bytes = packstream::encode(message);
    let mut wire = Vec::new();
    for part in bytes.chunks(0xFFFF) {
        wire.extend_from_slice(&(part.len() as u16).to_be_bytes());
        wire.extend_from_slice(part);
    }
    wire.extend_from_slice(&[0, 0]);
    wire
}

fn message(tag: u8, fields: Vec<PackValue>) -> PackValue {
    PackValue::Struct(PackStruct { tag, fields })
}

fn map(entries: &[(&str, &str)]) -> PackValue {
    PackValue::Map(
        entries
            .iter()
            .map(|(k, v)| ((*k).to_owned(), PackValue::String((*v).to_owned())))
            .collect(),
    )
}

/// One response: its tag and first field.
fn receive(stream: &mut impl Read) -> (u8, PackValue) {
    let mut bytes = Vec::new();
    loop {
        let mut size = [0u8; 2];
        stream.read_exact(&mut size).expect("chunk size");
        let size = usize::from(u16::from_be_bytes(size));
        if size == 0 {
            if bytes.is_empty() {
                continue;
            }
            break;
        }
        let start = bytes.len();
        bytes.resize(start + size, 0);
        stream.read_exact(&mut bytes[start..]).expect("chunk");
    }
    match packstream::decode(&bytes).expect("decode") {
        PackValue::Struct(PackStruct { tag, mut fields }) => (
            tag,
            if fields.is_empty() {
                PackValue::Null
            } else {
                fields.remove(0)
            },
        ),
        other => panic!("not a structure: {other:?}"),
    }
}

/// Bolt 5.4 handshake, HELLO and LOGON with `auth`, then `RETURN 7`:
/// the value, or the FAILURE code of the login.
fn bolt_session(stream: &mut (impl Read + Write), auth: &[(&str, &str)]) -> Result<i64, String> {
    stream
        .write_all(&[
            0x60, 0x60, 0xB0, 0x17, 0, 4, 4, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ])
        .expect("handshake");
    let mut version = [0u8; 4];
    stream.read_exact(&mut version).expect("version");
    assert_eq!(version, [0, 0, 4, 5]);
    stream
        .write_all(&frame(&message(
            0x01,
            vec![map(&[("user_agent", "test/1")])],
        )))
        .expect("hello");
    assert_eq!(receive(stream).0, 0x70);
    stream
        .write_all(&frame(&message(0x6A, vec![map(auth)])))
        .expect("logon");
    let (tag, body) = receive(stream);
    if tag != 0x70 {
        return Err(body
            .get("code")
            .and_then(PackValue::as_str)
            .unwrap_or("")
            .to_owned());
    }
    let mut wire = frame(&message(
        0x10,
        vec![
            PackValue::String("RETURN 7 AS n".into()),
            PackValue::Map(Vec::new()),
            PackValue::Map(Vec::new()),
        ],
    ));
    wire.extend(frame(&message(
        0x3F,
        vec![PackValue::Map(vec![("n".into(), PackValue::Integer(-1))])],
    )));
    stream.write_all(&wire).expect("run");
    assert_eq!(receive(stream).0, 0x70, "RUN");
    let (tag, record) = receive(stream);
    assert_eq!(tag, 0x71, "RECORD");
    assert_eq!(receive(stream).0, 0x70, "summary");
    match record {
        PackValue::List(values) => match values.first() {
            Some(PackValue::Integer(n)) => Ok(*n),
            other => panic!("record {other:?}"),
        },
        other => panic!("record {other:?}"),
    }
}

fn tls_stream(
    addr: SocketAddr,
    config: Arc<rustls::ClientConfig>,
) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
    let tcp = TcpStream::connect(addr).expect("connect");
    tcp.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").expect("name");
    let connection = rustls::ClientConnection::new(config, name).expect("client");
    rustls::StreamOwned::new(connection, tcp)
}

#[test]
fn tls_users_and_refusals_with_the_real_binary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cwd = dir.path();
    let ca = make_certificates(cwd);
    let users = cwd.join("users.toml");

    // `user add` reads the password from standard input.
    let mut add = caregraph(cwd)
        .args(["user", "add", "--users"])
        .arg(&users)
        .args(["--name", "cy", "--role", "clinician", "--org", "org-1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("user add");
    add.stdin
        .take()
        .expect("stdin")
        .write_all(b"cy's password\n")
        .expect("password");
    let added = add.wait_with_output().expect("user add");
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let file = std::fs::read_to_string(&users).expect("users file");
    assert!(
        file.contains("$argon2id$") && !file.contains("password"),
        "{file}"
    );

    // No way to authenticate: serve refuses, naming the flags.
    let refused = caregraph(cwd)
        .args(["serve", "--data-dir"])
        .arg(cwd.join("data"))
        .args(["--http", "127.0.0.1:0", "--bolt", "127.0.0.1:0"])
        .output()
        .expect("serve");
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("--jwt-secret") && stderr.contains("--jwks") && stderr.contains("--users"),
        "{stderr}"
    );
    // A missing certificate file is named.
    let refused = caregraph(cwd)
        .args(["serve", "--data-dir"])
        .arg(cwd.join("data"))
        .args([
            "--jwt-secret",
            SECRET,
            "--tls-cert",
            "no-such-cert.pem",
            "--tls-key",
            "key.pem",
        ])
        .output()
        .expect("serve");
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("no-such-cert.pem"), "{stderr}");

    let (http, bolt) = (free_port(), free_port());
    let (mut child, lines) = serve(
        cwd,
        &[
            "--http",
            &format!("127.0.0.1:{http}"),
            "--bolt",
            &format!("127.0.0.1:{bolt}"),
            "--jwt-secret",
            SECRET,
            "--users",
            &users.to_string_lossy(),
            "--tls-cert",
            "cert.pem",
            "--tls-key",
            "key.pem",
        ],
    );
    let printed = lines.join("\n");
    assert!(
        printed.contains(&format!("https://127.0.0.1:{http}/health")),
        "{printed}"
    );
    assert!(
        printed.contains(&format!("bolt+s://127.0.0.1:{bolt}")),
        "{printed}"
    );
    assert!(
        !printed.contains(SECRET),
        "the secret is printed: {printed}"
    );

    // HTTPS, with a client that trusts the test CA.
    let config = client_config(ca);
    let agent = ureq::AgentBuilder::new()
        .tls_config(config.clone())
        .timeout(Duration::from_secs(20))
        .build();
    let health = agent
        .get(&format!("https://127.0.0.1:{http}/health"))
        .call()
        .expect("https health");
    assert_eq!(health.into_string().expect("body"), r#"{"status":"ok"}"#);
    match agent
        .get(&format!("https://127.0.0.1:{http}/metrics"))
        .call()
    {
        Err(ureq::Error::Status(401, _)) => {}
        other => panic!("/metrics without a token: {other:?}"),
    }
    let metrics = agent
        .get(&format!("https://127.0.0.1:{http}/metrics"))
        .set("Authorization", &bearer(&admin_token()))
        .call()
        .expect("metrics with a token");
    assert_eq!(metrics.status(), 200);
    // Plain HTTP to the HTTPS port, and a client without the CA, fail.
    assert!(
        ureq::get(&format!("http://127.0.0.1:{http}/health"))
            .timeout(Duration::from_secs(20))
            .call()
            .is_err(),
        "plain HTTP was answered"
    );
    assert!(
        ureq::get(&format!("https://127.0.0.1:{http}/health"))
            .timeout(Duration::from_secs(20))
            .call()
            .is_err(),
        "a client that does not trust the CA connected"
    );

    // Bolt over TLS: a token, and a user of the users file.
    let bolt_addr: SocketAddr = format!("127.0.0.1:{bolt}").parse().expect("addr");
    let token = admin_token();
    let mut stream = tls_stream(bolt_addr, config.clone());
    assert_eq!(
        bolt_session(
            &mut stream,
            &[("scheme", "bearer"), ("credentials", &token)]
        ),
        Ok(7)
    );
    let mut stream = tls_stream(bolt_addr, config.clone());
    assert_eq!(
        bolt_session(
            &mut stream,
            &[
                ("scheme", "basic"),
                ("principal", "cy"),
                ("credentials", "cy's password")
            ]
        ),
        Ok(7)
    );
    let mut stream = tls_stream(bolt_addr, config);
    assert_eq!(
        bolt_session(
            &mut stream,
            &[
                ("scheme", "basic"),
                ("principal", "cy"),
                ("credentials", "wrong")
            ]
        ),
        Err("Neo.ClientError.Security.Unauthorized".to_owned())
    );
    // Plain Bolt to the TLS port gets no version back: a TLS alert at
    // most, then the connection ends.
    let mut plain = TcpStream::connect(bolt_addr).expect("connect");
    plain
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    plain
        .write_all(&[
            0x60, 0x60, 0xB0, 0x17, 0, 4, 4, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ])
        .expect("handshake");
    let mut answer = Vec::new();
    let _ = plain.read_to_end(&mut answer);
    assert!(
        answer.is_empty() || answer[0] == 0x15,
        "plain Bolt was answered with {answer:?}"
    );

    stop(&mut child);
}

#[test]
fn tokens_and_secrets_stay_out_of_the_logs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cwd = dir.path();
    let log = cwd.join("serve.log");
    let (http, bolt) = (free_port(), free_port());
    let mut child = caregraph(cwd)
        .args(["serve", "--data-dir"])
        .arg(cwd.join("data"))
        .args(["--http", &format!("127.0.0.1:{http}")])
        .args(["--bolt", &format!("127.0.0.1:{bolt}")])
        .env("CAREGRAPH_JWT_SECRET", SECRET)
        .env("CAREGRAPH_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("start caregraph serve");
    let stdout = child.stdout.take().expect("stdout");
    for line in BufReader::new(stdout).lines() {
        if line.expect("line").contains("Press Ctrl-C") {
            break;
        }
    }
    let good = admin_token();
    let mut wrong = auth_support::claims("ann", "superuser");
    wrong["note"] = serde_json::json!("refused-token-marker");
    let bad = auth_support::sign(&wrong);
    for token in [&good, &bad] {
        let _ = ureq::post(&format!("http://127.0.0.1:{http}/db/neo4j/query/v2"))
            .set("Authorization", &bearer(token))
            .set("Content-Type", "application/json")
            .send_string(r#"{"statement": "RETURN 1"}"#);
        let mut stream = TcpStream::connect(format!("127.0.0.1:{bolt}")).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        let _ = bolt_session(&mut stream, &[("scheme", "bearer"), ("credentials", token)]);
    }
    stop(&mut child);
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(
        text.contains("refused"),
        "nothing was logged at trace level: {text}"
    );
    for secret in [SECRET, good.as_str(), bad.as_str()] {
        assert!(!text.contains(secret), "the log holds a secret: {text}");
    }
    // Nor any part of the tokens' signatures.
    for token in [&good, &bad] {
        let signature = token.rsplit('.').next().expect("signature");
        assert!(!text.contains(signature), "the log holds a signature");
    }
}
