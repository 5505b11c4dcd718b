//! The access policy inside the engine: a scoped caller cannot reach a
//! subject out of scope by any query form, masked properties never come
//! out, touched subjects are reported, and writes out of scope fail.

use std::fmt::Write as _;
use std::sync::Arc;

use cypher::security::{
    AccessPolicy, MaskRule, OwnedLabel, PropertyMask, SubjectModel, SubjectScope,
};
use cypher::{execute, CypherValue, Params, QueryErrorKind, QueryOptions, QueryOutput};
use graph_model::{Database, Value};

type V = CypherValue;

fn model() -> SubjectModel {
    let owned = |label: &str, via: &str| OwnedLabel {
        label: label.into(),
        via: via.into(),
    };
    SubjectModel {
        label: "Patient".into(),
        owned: vec![
            owned("Encounter", "HAD_ENCOUNTER"),
            owned("Prescription", "HAS_PRESCRIPTION"),
            owned("Claim", "HAS_CLAIM"),
        ],
    }
}

/// Two clinics: patients a1, a2 seen at A; b1 seen at B; shared concepts.
fn clinics() -> Database {
    let db = Database::in_memory();
    let mut txn = db.begin_write();
    txn.create_node_index("Patient", "id").expect("index");
    txn.commit().expect("commit");
    run(
        &db,
        None,
        "CREATE (oa:Organization {id: 'A', name: 'Clinic A'}),
                (ob:Organization {id: 'B', name: 'Clinic B'}),
                (dr:Practitioner {id: 'dr', name: 'Dr Who'}),
                (h:Condition {code: 'h', display: 'Hypertension'}),
                (m:Medication {code: 'm', display: 'lisinopril'}),
                (a1:Patient {id: 'a1', name: 'Ann One', ssn: '111', birthDate: date('1980-05-02'), postalCode: '02139'}),
                (a2:Patient {id: 'a2', name: 'Al Two', ssn: '222', birthDate: date('1920-01-01'), postalCode: '02140'}),
                (b1:Patient {id: 'b1', name: 'Bea Secret', ssn: '333', birthDate: date('1990-07-07'), postalCode: '94110'}),
                (a1)-[:HAD_ENCOUNTER]->(:Encounter {id: 'ea1'})-[:AT_ORGANIZATION]->(oa),
                (a2)-[:HAD_ENCOUNTER]->(:Encounter {id: 'ea2'})-[:AT_ORGANIZATION]->(oa),
                (b1)-[:HAD_ENCOUNTER]->(eb:Encounter {id: 'eb1'})-[:AT_ORGANIZATION]->(ob),
                (eb)-[:ATTENDED_BY]->(dr),
                (a1)-[:HAS_CONDITION {id: 'c1'}]->(h), (b1)-[:HAS_CONDITION {id: 'c2'}]->(h),
                (b1)-[:HAS_PRESCRIPTION]->(:Prescription {id: 'pb1'})-[:OF_MEDICATION]->(m),
                (a1)-[:HAS_PRESCRIPTION]->(:Prescription {id: 'pa1'})-[:OF_MEDICATION]->(m),
                (b1)-[:HAS_CLAIM]->(:Claim {id: 'cb1', total: 100.0})",
    );
    db
}

fn run(db: &Database, policy: Option<AccessPolicy>, query: &str) -> QueryOutput {
    try_run(db, policy, query).unwrap_or_else(|e| panic!("`{query}` failed: {e}"))
}

fn try_run(
    db: &Database,
    policy: Option<AccessPolicy>,
    query: &str,
) -> Result<QueryOutput, cypher::CypherError> {
    let options = QueryOptions {
        policy: policy.map(Arc::new),
        ..QueryOptions::default()
    };
    execute(db, query, &Params::new(), &options)
}

/// The clinician of clinic A: patients with an encounter at A.
fn clinician_a(db: &Database) -> AccessPolicy {
    let state = db.snapshot();
    let ids = ["a1", "a2"].map(|id| {
        state
            .find_node_by_name("Patient", "id", &Value::String(id.into()))
            .expect("patient")
    });
    AccessPolicy {
        subjects: model(),
        scope: Some(Arc::new(SubjectScope::new(
            state.node_id_bound(),
            ids,
            None,
        ))),
        mask: None,
        track_touched: true,
    }
}

fn analyst() -> AccessPolicy {
    let mask = PropertyMask::new()
        .with("Patient", "name", MaskRule::Hide)
        .with("Patient", "ssn", MaskRule::Hide)
        .with("Patient", "birthDate", MaskRule::Year { floor: Some(1936) })
        .with("Patient", "postalCode", MaskRule::Prefix { keep: 3 })
        .with(
            "Patient",
            "id",
            MaskRule::Replace(Arc::new(|v: &Value| match v {
                Value::String(s) => Value::String(format!("anon-{}", s.len() * 7).into()),
                _ => Value::Null,
            })),
        );
    AccessPolicy {
        subjects: model(),
        scope: None,
        mask: Some(Arc::new(mask)),
        track_touched: true,
    }
}

/// Every string anywhere in the rows (and in the nodes they hold).
fn all_text(out: &QueryOutput) -> String {
    fn walk(out: &QueryOutput, v: &V, text: &mut String) {
        match v {
            V::String(s) => text.push_str(s),
            V::List(items) => items.iter().for_each(|i| walk(out, i, text)),
            V::Map(m) => m.iter().for_each(|(k, v)| {
                text.push_str(k);
                walk(out, v, text);
            }),
            V::Node(id) => {
                let view = out.node(*id).expect("node");
                let _ = write!(text, "{:?}", view.properties);
            }
            V::Relationship(id) => {
                let view = out.relationship(*id).expect("rel");
                let _ = write!(text, "{:?}", view.properties);
                for end in [view.start, view.end] {
                    walk(out, &V::Node(end), text);
                }
            }
            V::Path(p) => p.nodes.iter().for_each(|n| walk(out, &V::Node(*n), text)),
            other => {
                let _ = write!(text, "{other:?}");
            }
        }
    }
    let mut text = String::new();
    for row in &out.rows {
        for v in row {
            walk(out, v, &mut text);
            text.push('|');
        }
    }
    text
}

#[test]
fn a_clinician_sees_nothing_of_another_clinics_patient() {
    let db = clinics();
    let attempts = [
        "MATCH (p:Patient {id: 'b1'}) RETURN p",
        "MATCH (p:Patient) WHERE p.id = 'b1' RETURN p.name",
        "MATCH (p:Patient) RETURN p.id, p.name",
        "MATCH (p:Patient) WHERE p.name STARTS WITH 'Bea' RETURN p",
        "MATCH (p:Patient) RETURN count(p) AS n, collect(p.name) AS names",
        "MATCH (n) RETURN n",
        "MATCH (n) RETURN properties(n), keys(n)",
        "MATCH (p) WHERE id(p) IN range(0, 100) RETURN p",
        "MATCH (c:Condition {code: 'h'})<-[r:HAS_CONDITION]-(p) RETURN p.name, r.id",
        "MATCH (m:Medication)<-[:OF_MEDICATION]-(rx)<-[:HAS_PRESCRIPTION]-(p) RETURN p.name, rx.id",
        "MATCH (o:Organization {id: 'B'})<-[:AT_ORGANIZATION]-(e)<-[:HAD_ENCOUNTER]-(p) RETURN p, e",
        "MATCH path = (dr:Practitioner)-[*1..4]-(x) RETURN path",
        "MATCH (h:Condition {code: 'h'}) RETURN COUNT { (h)<-[:HAS_CONDITION]-() } AS n, COLLECT { MATCH (h)<-[:HAS_CONDITION]-(p) RETURN p.name } AS names",
        "MATCH (a:Patient {id: 'a1'}), (b:Organization {id: 'B'}) MATCH path = shortestPath((a)-[*]-(b)) RETURN path",
        "MATCH (c:Claim) RETURN c, sum(c.total)",
        "MATCH (e:Encounter) RETURN e.id",
        "MATCH (h:Condition {code: 'h'}) RETURN size([(h)<-[:HAS_CONDITION]-(p) | p.ssn]) AS n, [(h)<-[:HAS_CONDITION]-(p) | p.ssn] AS ssns",
        "MATCH (p:Patient) UNWIND [p] AS x RETURN collect(x)",
        "MATCH (p:Patient)-[r]-(x) RETURN startNode(r), endNode(r), x",
    ];
    for query in attempts {
        let out = run(&db, Some(clinician_a(&db)), query);
        let text = all_text(&out);
        for secret in ["b1", "Bea", "333", "eb1", "pb1", "cb1", "c2", "94110"] {
            assert!(
                !text.contains(secret),
                "`{query}` shows {secret:?} of clinic B's patient: {text}"
            );
        }
    }
    // Counts see the scope, not the store.
    let count = |q: &str| run(&db, Some(clinician_a(&db)), q).rows[0][0].clone();
    assert_eq!(count("MATCH (p:Patient) RETURN count(*)"), V::Integer(2));
    assert_eq!(
        count("MATCH (:Condition {code: 'h'})<-[:HAS_CONDITION]-(p) RETURN count(p)"),
        V::Integer(1)
    );
    assert_eq!(count("MATCH (e:Encounter) RETURN count(e)"), V::Integer(2));
    assert_eq!(count("MATCH (c:Claim) RETURN count(c)"), V::Integer(0));
    // Without a policy everything is there (the fixture is right).
    assert_eq!(
        run(&db, None, "MATCH (p:Patient) RETURN count(*)").rows[0][0],
        V::Integer(3)
    );
    // What a clinic's patient shows is all there.
    let own = run(
        &db,
        Some(clinician_a(&db)),
        "MATCH (p:Patient {id: 'a1'})-[:HAS_CONDITION]->(c) RETURN p.name, c.display",
    );
    assert_eq!(
        own.rows,
        vec![vec![
            V::String("Ann One".into()),
            V::String("Hypertension".into())
        ]]
    );
}

#[test]
fn a_clinician_cannot_write_outside_the_scope() {
    let db = clinics();
    // Hidden records cannot be matched, so nothing is changed...
    let out = run(
        &db,
        Some(clinician_a(&db)),
        "MATCH (p:Patient {id: 'b1'}) SET p.name = 'changed' RETURN p",
    );
    assert!(out.rows.is_empty());
    assert!(!out.stats.contains_updates());
    // ...creating a patient who is not the clinic's fails, and so does
    // MERGE on a hidden patient's key...
    for query in [
        "CREATE (p:Patient {id: 'new'}) RETURN p",
        "MERGE (p:Patient {id: 'b1'}) SET p.name = 'x'",
        "MATCH (m:Medication {code: 'm'}) DETACH DELETE m",
    ] {
        let err =
            try_run(&db, Some(clinician_a(&db)), query).expect_err(&format!("`{query}` must fail"));
        assert!(
            [
                QueryErrorKind::Forbidden.status_code(),
                QueryErrorKind::ConstraintValidationFailed.status_code()
            ]
            .contains(&err.status_code()),
            "`{query}`: {err}"
        );
    }
    // ...and nothing of it was written.
    let check = run(
        &db,
        None,
        "MATCH (p:Patient) RETURN p.id, p.name ORDER BY p.id",
    );
    assert_eq!(check.rows.len(), 3);
    assert_eq!(check.rows[2][1], V::String("Bea Secret".into()));
    assert_eq!(
        run(&db, None, "MATCH (m:Medication) RETURN count(m)").rows[0][0],
        V::Integer(1)
    );
    // Writing to the clinic's own patients works, also a new encounter.
    let own = run(
        &db,
        Some(clinician_a(&db)),
        "MATCH (p:Patient {id: 'a1'}), (o:Organization {id: 'A'})
         SET p.name = 'Ann Uno'
         CREATE (p)-[:HAD_ENCOUNTER]->(:Encounter {id: 'ea9'})-[:AT_ORGANIZATION]->(o)",
    );
    assert_eq!(own.stats.nodes_created, 1);
}

#[test]
fn an_analyst_never_sees_a_masked_field() {
    let db = clinics();
    let attempts = [
        "MATCH (p:Patient) RETURN p",
        "MATCH (p:Patient) RETURN p.name, p.ssn, p.id",
        "MATCH (p:Patient) RETURN p {.*} AS m",
        "MATCH (p:Patient) RETURN p {.name, .ssn} AS m",
        "MATCH (p:Patient) RETURN properties(p) AS m, keys(p) AS k",
        "MATCH (p:Patient) RETURN 'x' + p.name + p.ssn AS s",
        "MATCH (p:Patient) RETURN collect(p) AS everyone, collect(p.name) AS names",
        "MATCH (p:Patient) WITH collect(p) AS ps UNWIND ps AS x RETURN x, x.name",
        "MATCH (p:Patient) WHERE p.ssn = '333' RETURN count(p)",
        "MATCH (p:Patient {id: 'b1'}) RETURN p",
        "MATCH (p:Patient)-[r]->(x) RETURN r, x",
        "MATCH path = (p:Patient)-[*1..2]-() RETURN path",
        "MATCH (p:Patient) RETURN toString(p.birthDate) AS born, p.postalCode",
    ];
    for query in attempts {
        let out = run(&db, Some(analyst()), query);
        let text = all_text(&out);
        for secret in [
            "Ann", "Al Two", "Bea", "111", "222", "333", "1980-05", "02139", "94110", "\"a1\"",
            "\"b1\"",
        ] {
            assert!(!text.contains(secret), "`{query}` shows {secret:?}: {text}");
        }
    }
    let out = run(
        &db,
        Some(analyst()),
        "MATCH (p:Patient) RETURN p.birthDate AS year, p.postalCode AS zip ORDER BY year",
    );
    // 1920 is grouped into the floor year; zip codes keep 3 digits.
    assert_eq!(
        out.rows,
        vec![
            vec![V::Integer(1936), V::String("021".into())],
            vec![V::Integer(1980), V::String("021".into())],
            vec![V::Integer(1990), V::String("941".into())],
        ]
    );
    // Aggregates run on all of the data.
    let out = run(
        &db,
        Some(analyst()),
        "MATCH (p:Patient)-[:HAS_CONDITION]->(c) RETURN c.display, count(p)",
    );
    assert_eq!(
        out.rows,
        vec![vec![V::String("Hypertension".into()), V::Integer(2)]]
    );
    // A pseudonym finds its patient (the seek compares masked values).
    let plan = run(
        &db,
        None,
        "EXPLAIN MATCH (p:Patient {id: 'anon-14'}) RETURN count(p)",
    )
    .plan
    .expect("plan")
    .to_string();
    assert!(plan.contains("NodeIndexSeek"), "{plan}");
    let out = run(
        &db,
        Some(analyst()),
        "MATCH (p:Patient {id: 'anon-14'}) RETURN count(p)",
    );
    assert_eq!(out.rows[0][0], V::Integer(3));
}

#[test]
fn touched_subjects_are_the_patients_read_or_returned() {
    let db = clinics();
    let policy = AccessPolicy::audit_only(model());
    let ids = |out: &QueryOutput| -> Vec<String> {
        out.touched_subjects
            .iter()
            .map(|id| match &out.node(*id).expect("node").properties["id"] {
                Value::String(s) => s.to_string(),
                other => panic!("id {other:?}"),
            })
            .collect()
    };
    let out = run(
        &db,
        Some(policy.clone()),
        "MATCH (p:Patient {id: 'b1'}) RETURN p.name",
    );
    assert_eq!(ids(&out), ["b1"]);
    // Owned records point at their patient.
    let out = run(&db, Some(policy.clone()), "MATCH (c:Claim) RETURN c.total");
    assert_eq!(ids(&out), ["b1"]);
    let out = run(
        &db,
        Some(policy.clone()),
        "MATCH (o:Organization {id: 'A'})<-[:AT_ORGANIZATION]-(e) RETURN e",
    );
    assert_eq!(ids(&out), ["a1", "a2"]);
    // A count reads no patient's record.
    let out = run(&db, Some(policy), "MATCH (p:Patient) RETURN count(p)");
    assert!(ids(&out).is_empty());
}
