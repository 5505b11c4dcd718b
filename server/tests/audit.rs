//! The audit log: appends from many threads verify intact; editing,
//! removing or reordering one record, or cutting the end, is named by
//! `audit verify`; a torn tail is set aside; `audit show` answers who
//! looked at a patient, through the real binary, while the log is open.

mod cli_support;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cli_support::{path_arg, run, text};
use serde_json::Value as Json;
use server::audit::{
    self, AuditError, AuditEvent, AuditLog, BreakKind, Door, Outcome, VerifyReport,
};

fn event(subject: &str, patients: &[&str], operation: &str) -> AuditEvent {
    AuditEvent {
        subject: subject.to_owned(),
        role: "clinician".to_owned(),
        door: Door::GraphQL,
        operation: operation.to_owned(),
        patient_ids: patients.iter().map(|p| (*p).to_owned()).collect(),
        outcome: Outcome::Ok,
    }
}

/// A data directory whose log holds `n` closed records.
fn written(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = AuditLog::open(dir.path()).expect("opens");
    for i in 1..=n {
        log.append(event(
            &format!("user{}", i % 3),
            &[&format!("p{i}")],
            &format!("query {{ patient(id: \"p{i}\") {{ name }} }}"),
        ))
        .expect("appends");
    }
    log.close().expect("closes");
    dir
}

fn log_file(data_dir: &Path) -> PathBuf {
    audit::audit_dir(data_dir).join(audit::LOG_FILE)
}

fn lines(data_dir: &Path) -> Vec<String> {
    std::fs::read_to_string(log_file(data_dir))
        .expect("reads the log")
        .lines()
        .map(str::to_owned)
        .collect()
}

fn write_lines(data_dir: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(log_file(data_dir), text).expect("writes the log");
}

fn verify(data_dir: &Path) -> VerifyReport {
    audit::verify(&audit::audit_dir(data_dir)).expect("verifies")
}

/// The break a tampered log shows: (kind, line, seq).
fn broken(data_dir: &Path) -> (BreakKind, u64, Option<u64>) {
    let report = verify(data_dir);
    let b = report
        .broken
        .unwrap_or_else(|| panic!("the tampering is not detected"));
    (b.kind, b.line, b.seq)
}

fn caregraph_verify(data_dir: &Path) -> (i32, String) {
    let output = run(
        data_dir,
        &["audit", "verify", "--data-dir", &path_arg(data_dir)],
    );
    (
        output.status.code().expect("exit code"),
        text(&output.stdout) + &text(&output.stderr),
    )
}

#[test]
fn appends_from_many_threads_verify_intact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = Arc::new(AuditLog::open(dir.path()).expect("opens"));
    std::thread::scope(|scope| {
        for t in 0..8 {
            let log = log.clone();
            scope.spawn(move || {
                for i in 0..250 {
                    log.append(event(
                        &format!("thread{t}"),
                        &[&format!("p{t}-{i}"), "shared"],
                        "MATCH (p:Patient) RETURN p",
                    ))
                    .expect("appends");
                }
            });
        }
    });
    // Readable while the writer is open (it holds its lock).
    let (code, out) = caregraph_verify(dir.path());
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("intact: 2000 records, head "), "{out}");
    drop(log);
    let report = verify(dir.path());
    assert!(report.intact(), "{report:?}");
    assert_eq!(report.records, 2000);
    assert_eq!(report.head_lag, 0, "closing synced the head");
    let head = audit::read_head(&audit::audit_dir(dir.path()))
        .expect("reads")
        .expect("a head");
    assert_eq!((head.seq, head.hash), (2000, report.head));
    let all = lines(dir.path());
    for (i, line) in all.iter().enumerate() {
        let record: audit::Record = serde_json::from_str(line).expect("a record");
        assert_eq!(record.seq, i as u64 + 1);
        assert!(
            record.time.ends_with('Z') && record.time.len() == 24,
            "{}",
            record.time
        );
    }
}

#[test]
fn editing_one_field_is_named() {
    let dir = written(10);
    let mut all = lines(dir.path());
    all[4] = all[4].replace("\"sub\":\"user2\"", "\"sub\":\"mallory\"");
    write_lines(dir.path(), &all);
    assert_eq!(broken(dir.path()), (BreakKind::Edited, 5, Some(5)));
    let (code, out) = caregraph_verify(dir.path());
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("line 5 (record 5): edited: hash mismatch"),
        "{out}"
    );
}

#[test]
fn an_edit_with_a_recomputed_hash_breaks_the_chain_after_it() {
    let dir = written(10);
    let mut all = lines(dir.path());
    let mut record: audit::Record = serde_json::from_str(&all[4]).expect("a record");
    record.patients = vec!["someone-else".into()];
    let (line, hash) = record.encode().expect("encodes");
    let mut forged: audit::Record = serde_json::from_slice(&line).expect("a record");
    forged.hash = hash;
    all[4] = String::from_utf8(forged.encode().expect("encodes").0).expect("utf-8");
    write_lines(dir.path(), &all);
    assert_eq!(broken(dir.path()), (BreakKind::ChainBroken, 6, Some(6)));
}

#[test]
fn reformatting_a_line_is_an_edit() {
    let dir = written(4);
    let mut all = lines(dir.path());
    all[1] = all[1].replacen(',', ", ", 1);
    write_lines(dir.path(), &all);
    assert_eq!(broken(dir.path()), (BreakKind::Edited, 2, Some(2)));
}

#[test]
fn removing_a_middle_record_is_named() {
    let dir = written(10);
    let mut all = lines(dir.path());
    all.remove(4);
    write_lines(dir.path(), &all);
    assert_eq!(broken(dir.path()), (BreakKind::SeqGap, 5, Some(6)));
    let (code, out) = caregraph_verify(dir.path());
    assert_eq!(code, 1);
    assert!(out.contains("record 5 is missing"), "{out}");
}

#[test]
fn removing_the_first_record_is_named() {
    let dir = written(3);
    let mut all = lines(dir.path());
    all.remove(0);
    write_lines(dir.path(), &all);
    assert_eq!(broken(dir.path()), (BreakKind::SeqGap, 1, Some(2)));
}

#[test]
fn swapping_two_records_is_named() {
    let dir = written(10);
    let mut all = lines(dir.path());
    all.swap(3, 4);
    write_lines(dir.path(), &all);
    assert_eq!(broken(dir.path()), (BreakKind::SeqGap, 4, Some(5)));
    let mut all = lines(dir.path());
    all.swap(3, 4);
    all.swap(8, 9);
    write_lines(dir.path(), &all);
    assert_eq!(broken(dir.path()), (BreakKind::SeqGap, 9, Some(10)));
}

#[test]
fn removing_the_last_record_is_a_head_mismatch() {
    let dir = written(10);
    let mut all = lines(dir.path());
    all.pop();
    write_lines(dir.path(), &all);
    assert_eq!(broken(dir.path()), (BreakKind::HeadMismatch, 10, Some(10)));
    let (code, out) = caregraph_verify(dir.path());
    assert_eq!(code, 1);
    assert!(out.contains("record 10 was removed at the end"), "{out}");
    // The server does not continue such a chain: appending would hide it.
    assert!(matches!(
        AuditLog::open(dir.path()),
        Err(AuditError::HeadMismatch {
            head_seq: 10,
            last_seq: 9,
            ..
        })
    ));
}

#[test]
fn a_missing_head_is_reported_and_recreated_on_open() {
    let dir = written(3);
    std::fs::remove_file(audit::audit_dir(dir.path()).join(audit::HEAD_FILE)).expect("removes");
    assert_eq!(broken(dir.path()).0, BreakKind::HeadMissing);
    AuditLog::open(dir.path())
        .expect("opens")
        .close()
        .expect("closes");
    assert!(verify(dir.path()).intact());
}

#[test]
fn a_torn_tail_is_reported_then_set_aside_on_open() {
    let dir = written(5);
    let all = lines(dir.path());
    let mut text = all.join("\n");
    text.push('\n');
    let torn = r#"{"seq":6,"time":"2024-01-01T00:00:00.000Z","sub":"us"#;
    text.push_str(torn);
    std::fs::write(log_file(dir.path()), text).expect("writes");
    assert_eq!(broken(dir.path()), (BreakKind::TornTail, 6, None));

    let log = AuditLog::open(dir.path()).expect("opens and cuts");
    log.append(event("after", &["p9"], "after the crash"))
        .expect("appends");
    log.close().expect("closes");
    let kept = audit::audit_dir(dir.path()).join("torn-6.log");
    assert_eq!(std::fs::read_to_string(&kept).expect("kept aside"), torn);
    let report = verify(dir.path());
    assert!(report.intact(), "{report:?}");
    assert_eq!(report.records, 6);
    assert_eq!(report.torn_files, vec![kept]);
    let (code, out) = caregraph_verify(dir.path());
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("torn-6.log holds an incomplete record"),
        "{out}"
    );
}

#[test]
fn a_damaged_last_record_is_refused_on_open() {
    let dir = written(3);
    let mut all = lines(dir.path());
    all[2] = all[2].replace("user0", "userX");
    write_lines(dir.path(), &all);
    assert!(matches!(
        AuditLog::open(dir.path()),
        Err(AuditError::Corrupt { .. })
    ));
}

#[test]
fn verify_of_a_directory_without_a_log_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, out) = caregraph_verify(dir.path());
    assert_eq!(code, 1);
    assert!(out.contains("no audit log"), "{out}");
}

#[test]
fn show_answers_who_looked_at_a_patient() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The graph's lock is held as by a running server: the audit commands
    // do not open the graph, so they are not blocked.
    let db = graph_model::Database::open(dir.path(), graph_model::DbOptions::default())
        .expect("opens the graph");
    let log = AuditLog::open(dir.path()).expect("opens");
    let long_query = format!(
        "MATCH (p:Patient {{id: 'p-42'}})-[:HAS_CONDITION]->(c) RETURN c /* {} */",
        "x".repeat(200)
    );
    log.append(event("alice", &["p-42", "p-7"], &long_query))
        .expect("appends");
    log.append(AuditEvent {
        door: Door::Bolt,
        role: "analyst".into(),
        ..event("bob", &["p-7"], "MATCH (p) RETURN p")
    })
    .expect("appends");
    log.append(AuditEvent {
        door: Door::CdsHooks,
        outcome: Outcome::Refused,
        ..event("carol", &["Patient/p-42"], "caregraph-order-check")
    })
    .expect("appends");
    let data_dir = path_arg(dir.path());

    let output = run(
        dir.path(),
        &[
            "audit",
            "show",
            "--data-dir",
            &data_dir,
            "--patient",
            "p-42",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let table = text(&output.stdout);
    assert!(
        table.contains("alice") && table.contains("carol"),
        "{table}"
    );
    assert!(!table.contains("bob"), "{table}");
    assert!(
        table.contains("cdshooks") && table.contains("refused"),
        "{table}"
    );
    assert!(table.contains('…'), "the long query is cut: {table}");
    assert!(
        table.contains("2 record(s) touching patient p-42 among 3 read"),
        "{table}"
    );

    let output = run(
        dir.path(),
        &[
            "audit",
            "show",
            "--data-dir",
            &data_dir,
            "--patient",
            "p-42",
            "--json",
        ],
    );
    let json: Json = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&output.stdout)));
    let records = json.as_array().expect("an array");
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["operation"], long_query.as_str(), "full in JSON");
    assert_eq!(records[0]["door"], "graphql");
    assert_eq!(records[1]["sub"], "carol");

    let output = run(
        dir.path(),
        &[
            "audit",
            "show",
            "--data-dir",
            &data_dir,
            "--subject",
            "bob",
            "--json",
        ],
    );
    let json: Json = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(json.as_array().map(Vec::len), Some(1));
    assert_eq!(json[0]["door"], "bolt");
    assert_eq!(json[0]["role"], "analyst");

    let output = run(
        dir.path(),
        &[
            "audit",
            "show",
            "--data-dir",
            &data_dir,
            "--patient",
            "nobody",
            "--json",
        ],
    );
    assert_eq!(text(&output.stdout).trim(), "[]");
    let output = run(dir.path(), &["audit", "show", "--data-dir", &data_dir]);
    assert_ne!(
        output.status.code(),
        Some(0),
        "a patient or subject is required"
    );

    let (code, out) = caregraph_verify(dir.path());
    assert_eq!(code, 0, "{out}");
    drop(log);
    drop(db);
}

#[test]
fn a_request_touching_many_patients_names_a_set_file_that_show_and_verify_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = AuditLog::open(dir.path()).expect("opens");
    let many: Vec<String> = (0..audit::sets::MAX_LISTED_PATIENTS + 500)
        .map(|i| format!("p-{i:06}"))
        .collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let aggregate = "{ payers { claimsAggregate { count } } }";
    for subject in ["alice", "bob"] {
        log.append(event(subject, &many, aggregate))
            .expect("appends");
    }
    log.append(event("carol", &["p-000003"], "one patient"))
        .expect("appends");
    let records = lines(dir.path());
    assert_eq!(records.len(), 3);
    let first: Json = serde_json::from_str(&records[0]).expect("json");
    assert_eq!(first["patients"], serde_json::json!([]));
    assert_eq!(first["patients_count"], many.len());
    let digest = first["patients_set"].as_str().expect("a set").to_owned();
    let second: Json = serde_json::from_str(&records[1]).expect("json");
    assert_eq!(second["patients_set"], digest.as_str(), "one file for both");
    assert!(
        records[0].len() < 1_000,
        "the record stays small: {}",
        records[0]
    );
    let set_file = audit::sets::set_path(&audit::audit_dir(dir.path()), &digest);
    let ids: Vec<String> = std::fs::read_to_string(&set_file)
        .expect("the set file")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON string"))
        .collect();
    assert_eq!(ids, many, "every id, in order");

    let data_dir = path_arg(dir.path());
    let show = |patient: &str| {
        let output = run(
            dir.path(),
            &[
                "audit",
                "show",
                "--data-dir",
                &data_dir,
                "--patient",
                patient,
                "--json",
            ],
        );
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        let json: Json = serde_json::from_slice(&output.stdout).expect("json");
        json.as_array()
            .expect("an array")
            .iter()
            .map(|r| r["sub"].as_str().expect("sub").to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(show("p-001499"), ["alice", "bob"]);
    assert_eq!(show("p-000003"), ["alice", "bob", "carol"]);
    assert!(show("p-999999").is_empty());
    log.close().expect("closes");
    assert!(verify(dir.path()).intact());

    // The set file altered: verify names the first record that uses it.
    let text_before = std::fs::read_to_string(&set_file).expect("reads");
    std::fs::write(&set_file, text_before.replace("p-000007", "p-000008")).expect("alters");
    assert_eq!(broken(dir.path()), (BreakKind::PatientSet, 1, Some(1)));
    std::fs::remove_file(&set_file).expect("removes");
    let report = verify(dir.path());
    let b = report.broken.expect("a missing set is named");
    assert_eq!(b.kind, BreakKind::PatientSet);
    assert!(b.reason.contains("missing"), "{}", b.reason);
}
