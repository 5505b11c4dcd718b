//! Store behaviour: transactions, isolation, durability and recovery.

use std::fs::{self, OpenOptions};
use std::io::Write;

use graph_model::store::DbOptions;
use graph_model::{Database, Direction, GraphError, Value};

fn quiet_options() -> DbOptions {
    DbOptions {
        snapshot_after_bytes: 0,
        ..DbOptions::default()
    }
}

fn patient_ids(db: &Database) -> Vec<String> {
    let graph = db.snapshot();
    let Some(label) = graph.label_id("Patient") else {
        return Vec::new();
    };
    let mut ids: Vec<String> = graph
        .nodes_with_label(label)
        .filter_map(|n| {
            graph
                .node_property(n, "id")
                .and_then(|v| v.as_str().map(str::to_owned))
        })
        .collect();
    ids.sort();
    ids
}

fn add_patients(db: &Database, range: std::ops::Range<u32>) {
    let mut txn = db.begin_write();
    for i in range {
        txn.create_node(&["Patient"], &[("id", Value::from(format!("p{i:04}")))])
            .expect("create");
    }
    txn.commit().expect("commit");
}

#[test]
fn commit_is_all_or_nothing_and_readers_keep_their_version() {
    let db = Database::in_memory();
    db.write(|t| t.create_node_index("Patient", "id"))
        .expect("index");
    add_patients(&db, 0..3);
    let before = db.snapshot();

    let mut txn = db.begin_write();
    let n = txn
        .create_node(&["Patient"], &[("id", Value::from("p9000"))])
        .expect("create");
    // A duplicate key fails, and leaves the transaction usable.
    let duplicate = txn.create_node(&["Patient"], &[("id", Value::from("p0001"))]);
    assert!(matches!(
        duplicate,
        Err(GraphError::UniqueConstraint { .. })
    ));
    assert_eq!(txn.view().node_count(), 4);
    // Not visible before commit.
    assert_eq!(db.snapshot().node_count(), 3);
    txn.set_node_property(n, "name", Value::from("Ann"))
        .expect("set");
    txn.rollback();
    assert_eq!(patient_ids(&db), ["p0000", "p0001", "p0002"]);

    add_patients(&db, 3..5);
    // The old version is untouched.
    assert_eq!(before.node_count(), 3);
    assert_eq!(db.snapshot().node_count(), 5);
    let graph = db.snapshot();
    let label = graph.label_id("Patient").expect("label");
    let key = graph.prop_key_id("id").expect("key");
    assert!(graph.find_node(label, key, &Value::from("p0004")).is_some());
    assert!(before
        .find_node(label, key, &Value::from("p0004"))
        .is_none());
}

#[test]
#[allow(clippy::many_single_char_names)]
fn relationships_both_ways_and_detach_delete() {
    let db = Database::in_memory();
    let mut txn = db.begin_write();
    let a = txn.create_node(&["Patient"], &[]).expect("a");
    let b = txn.create_node(&["Condition"], &[]).expect("b");
    let r = txn
        .create_rel(a, "HAS_CONDITION", b, &[("id", Value::from("c1"))])
        .expect("rel");
    txn.create_rel(a, "LIVES_IN", b, &[]).expect("rel2");
    txn.commit().expect("commit");
    let g = db.snapshot();
    let t = g.rel_type_id("HAS_CONDITION").expect("type");
    assert_eq!(g.neighbors(a, Direction::Outgoing, Some(t)).count(), 1);
    assert_eq!(g.neighbors(b, Direction::Incoming, None).count(), 2);
    assert_eq!(g.rels_between(a, t, b), vec![r]);
    assert_eq!(g.rel_type_count(t), 1);

    let mut txn = db.begin_write();
    assert!(matches!(
        txn.delete_node(a),
        Err(GraphError::NodeHasRelationships { count: 2, .. })
    ));
    txn.detach_delete_node(a).expect("detach");
    txn.commit().expect("commit");
    let g = db.snapshot();
    assert_eq!(g.node_count(), 1);
    assert_eq!(g.rel_count(), 0);
    assert_eq!(g.neighbors(b, Direction::Both, None).count(), 0);
}

#[test]
fn durable_commits_survive_reopen_with_and_without_snapshot() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let db = Database::open(dir.path(), quiet_options()).expect("open");
        db.write(|t| t.create_node_index("Patient", "id"))
            .expect("index");
        add_patients(&db, 0..10);
        // A second process may not open the directory.
        assert!(matches!(
            Database::open(dir.path(), quiet_options()),
            Err(GraphError::DataDirLocked { .. })
        ));
    }
    let db = Database::open(dir.path(), quiet_options()).expect("reopen");
    assert_eq!(db.recovery_report().replayed_transactions, 2);
    assert_eq!(patient_ids(&db).len(), 10);
    db.checkpoint().expect("checkpoint");
    add_patients(&db, 10..12);
    drop(db);
    let db = Database::open(dir.path(), quiet_options()).expect("reopen");
    let report = db.recovery_report();
    assert!(report.snapshot.is_some());
    assert_eq!(report.replayed_transactions, 1);
    assert_eq!(patient_ids(&db).len(), 12);
    // Indexes are rebuilt from the snapshot.
    let g = db.snapshot();
    assert!(g
        .find_node_by_name("Patient", "id", &Value::from("p0011"))
        .is_some());
}

fn newest_segment(dir: &std::path::Path) -> std::path::PathBuf {
    let mut segments: Vec<_> = fs::read_dir(dir)
        .expect("list")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "log") && fs::metadata(p).is_ok_and(|m| m.len() > 0)
        })
        .collect();
    segments.sort();
    segments.pop().expect("a non-empty segment")
}

#[test]
fn torn_log_tail_is_cut_and_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let db = Database::open(dir.path(), quiet_options()).expect("open");
        add_patients(&db, 0..5);
        add_patients(&db, 5..8);
    }
    let segment = newest_segment(dir.path());
    let len = fs::metadata(&segment).expect("meta").len();
    // Tear the last record: drop its last 3 bytes.
    OpenOptions::new()
        .write(true)
        .open(&segment)
        .and_then(|f| f.set_len(len - 3))
        .expect("truncate");
    let db = Database::open(dir.path(), quiet_options()).expect("reopen");
    let cut = db.recovery_report().log_cut.clone().expect("cut reported");
    assert!(cut.reason.contains("torn"), "{}", cut.reason);
    assert_eq!(patient_ids(&db).len(), 5);
    // The store goes on from the last good state, and new commits stick.
    add_patients(&db, 100..101);
    drop(db);
    let db = Database::open(dir.path(), quiet_options()).expect("reopen again");
    assert!(db.recovery_report().log_cut.is_none());
    assert_eq!(patient_ids(&db).len(), 6);
}

#[test]
fn corrupt_log_record_is_never_replayed() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let db = Database::open(dir.path(), quiet_options()).expect("open");
        add_patients(&db, 0..5);
        add_patients(&db, 5..8);
    }
    let segment = newest_segment(dir.path());
    let mut bytes = fs::read(&segment).expect("read");
    let last = bytes.len() - 5;
    bytes[last] ^= 0xff;
    fs::write(&segment, &bytes).expect("write");
    // Garbage appended after a valid log is cut as well.
    let db = Database::open(dir.path(), quiet_options()).expect("reopen");
    let cut = db.recovery_report().log_cut.clone().expect("cut reported");
    assert!(cut.reason.contains("checksum"), "{}", cut.reason);
    assert_eq!(patient_ids(&db).len(), 5);
    drop(db);

    let segment = newest_segment(dir.path());
    let mut file = OpenOptions::new()
        .append(true)
        .open(&segment)
        .expect("open");
    file.write_all(&[7u8; 40]).expect("append garbage");
    drop(file);
    let db = Database::open(dir.path(), quiet_options()).expect("reopen");
    assert!(db.recovery_report().log_cut.is_some());
    assert_eq!(patient_ids(&db).len(), 5);
}

#[test]
fn corrupt_snapshot_falls_back_to_the_previous_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let db = Database::open(dir.path(), quiet_options()).expect("open");
        add_patients(&db, 0..4);
        db.checkpoint().expect("first snapshot");
        add_patients(&db, 4..6);
        db.checkpoint().expect("second snapshot");
        add_patients(&db, 6..7);
    }
    let mut snapshots: Vec<_> = fs::read_dir(dir.path())
        .expect("list")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "cgs"))
        .collect();
    snapshots.sort();
    assert_eq!(snapshots.len(), 2);
    let newest = snapshots.last().expect("newest");
    let mut bytes = fs::read(newest).expect("read");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    fs::write(newest, &bytes).expect("write");

    let db = Database::open(dir.path(), quiet_options()).expect("reopen");
    let report = db.recovery_report();
    assert_eq!(report.corrupt_snapshots.len(), 1);
    assert!(report.corrupt_snapshots[0].1.contains("checksum"));
    assert_eq!(report.snapshot.as_ref().map(|s| s.1), Some(1));
    assert_eq!(
        patient_ids(&db).len(),
        7,
        "older snapshot + log gives everything"
    );
}

#[test]
fn concurrent_commits_share_fsyncs_and_all_land() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Database::open(dir.path(), quiet_options()).expect("open");
    std::thread::scope(|s| {
        for t in 0..4u32 {
            let db = db.clone();
            s.spawn(move || {
                for i in 0..25u32 {
                    add_patients(&db, (t * 1000 + i)..(t * 1000 + i + 1));
                }
            });
        }
    });
    assert_eq!(db.snapshot().lsn(), 100);
    assert_eq!(patient_ids(&db).len(), 100);
    drop(db);
    let db = Database::open(dir.path(), quiet_options()).expect("reopen");
    assert_eq!(patient_ids(&db).len(), 100);
}

#[test]
fn a_long_reader_does_not_block_writers() {
    let db = Database::in_memory();
    add_patients(&db, 0..100);
    let reader = db.snapshot();
    // While the reader holds its version, writers commit freely.
    for i in 0..50 {
        add_patients(&db, (1000 + i)..(1001 + i));
    }
    assert_eq!(reader.node_count(), 100);
    assert_eq!(db.snapshot().node_count(), 150);
}
