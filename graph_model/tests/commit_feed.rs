//! The commit feed: listeners learn which nodes each commit changed.

use std::sync::{Arc, Mutex};

use graph_model::{CommitEvent, Database, Value};

#[test]
fn listeners_see_created_and_touched_nodes_of_each_commit() {
    let db = Database::in_memory();
    let seen: Arc<Mutex<Vec<CommitEvent>>> = Arc::default();
    let sink = seen.clone();
    let id = db.subscribe(move |event| {
        if let Ok(mut events) = sink.lock() {
            events.push(event.clone());
        }
    });

    let (patient, rx) = db
        .write(|txn| {
            let patient = txn.create_node(&["Patient"], &[("id", Value::from("p1"))])?;
            let rx = txn.create_node(&["Prescription"], &[("id", Value::from("rx1"))])?;
            txn.create_rel(patient, "HAS_PRESCRIPTION", rx, &[])?;
            Ok::<_, graph_model::GraphError>((patient, rx))
        })
        .expect("first commit");
    let other = db
        .write(|txn| {
            let other = txn.create_node(&["Patient"], &[("id", Value::from("p2"))])?;
            txn.set_node_property(patient, "name", Value::from("Ann"))?;
            Ok::<_, graph_model::GraphError>(other)
        })
        .expect("second commit");
    // A transaction that changes nothing is not reported.
    db.write(|_| Ok::<_, graph_model::GraphError>(()))
        .expect("empty commit");
    // Deleting a relationship touches both of its ends.
    db.write(|txn| {
        let rel = txn
            .view()
            .neighbors(patient, graph_model::Direction::Outgoing, None)
            .next()
            .map(|n| n.rel)
            .expect("the relationship");
        txn.delete_rel(rel)
    })
    .expect("third commit");

    let events = seen.lock().expect("events").clone();
    assert_eq!(events.len(), 3, "{events:?}");
    assert_eq!(events[0].created_nodes, vec![patient, rx]);
    assert_eq!(events[0].touched_nodes, vec![patient, rx]);
    assert_eq!(events[1].created_nodes, vec![other]);
    assert_eq!(events[1].touched_nodes, vec![other, patient]);
    assert!(events[1].state.lsn() >= events[1].lsn);
    assert!(events[2].created_nodes.is_empty());
    assert_eq!(events[2].touched_nodes, vec![patient, rx]);

    assert!(db.unsubscribe(id));
    assert!(!db.unsubscribe(id));
    db.write(|txn| txn.create_node(&["Patient"], &[("id", Value::from("p3"))]))
        .expect("unobserved commit");
    assert_eq!(seen.lock().expect("events").len(), 3);
}
