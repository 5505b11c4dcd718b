//! `COUNT { ... }` and `COLLECT { ... }` subquery expressions (Neo4j 5),
//! which let one query return nested, sorted, paged lists (the GraphQL layer
//! compiles nested connections into them).

use cypher::{execute, CypherValue, Params, QueryOptions};
use graph_model::Database;

fn run(db: &Database, query: &str) -> Vec<Vec<CypherValue>> {
    execute(db, query, &Params::new(), &QueryOptions::default())
        .unwrap_or_else(|e| panic!("`{query}` failed: {e}"))
        .rows
}

fn strings(items: &[&str]) -> CypherValue {
    CypherValue::List(
        items
            .iter()
            .map(|s| CypherValue::String((*s).into()))
            .collect::<Vec<_>>()
            .into(),
    )
}

fn clinic() -> Database {
    let db = Database::in_memory();
    run(
        &db,
        "CREATE (a:Patient {id: 'a'}), (b:Patient {id: 'b'}), (c:Patient {id: 'c'}),
                (h:Condition {code: 'h', display: 'Hypertension'}),
                (d:Condition {code: 'd', display: 'Diabetes'}),
                (s:Condition {code: 's', display: 'Sinusitis'}),
                (a)-[:HAS_CONDITION {onset: 3}]->(h), (a)-[:HAS_CONDITION {onset: 1}]->(d),
                (a)-[:HAS_CONDITION {onset: 2}]->(s), (b)-[:HAS_CONDITION {onset: 5}]->(h)",
    );
    db
}

#[test]
fn count_subquery_counts_pattern_matches_and_query_rows() {
    let db = clinic();
    let rows = run(
        &db,
        "MATCH (p:Patient) RETURN p.id, COUNT { (p)-[:HAS_CONDITION]->() } AS n,
                COUNT { MATCH (p)-[r:HAS_CONDITION]->(c) WHERE r.onset > 1 RETURN c } AS late
         ORDER BY p.id",
    );
    let got: Vec<(String, i64, i64)> = rows
        .iter()
        .map(|r| match (&r[0], &r[1], &r[2]) {
            (CypherValue::String(id), CypherValue::Integer(n), CypherValue::Integer(late)) => {
                (id.to_string(), *n, *late)
            }
            other => panic!("unexpected row {other:?}"),
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("a".to_owned(), 3, 2),
            ("b".to_owned(), 1, 1),
            ("c".to_owned(), 0, 0)
        ]
    );
    // A pattern form with a WHERE.
    let rows = run(
        &db,
        "MATCH (c:Condition) WHERE COUNT { (p:Patient)-[:HAS_CONDITION]->(c) WHERE p.id <> 'b' } = 1
         RETURN c.code ORDER BY c.code",
    );
    assert_eq!(rows.len(), 3, "h (a only, b excluded), d, s");
}

#[test]
fn collect_subquery_sorts_and_pages_a_nested_list() {
    let db = clinic();
    let rows = run(
        &db,
        "MATCH (p:Patient {id: 'a'})
         RETURN COLLECT { MATCH (p)-[r:HAS_CONDITION]->(c) WITH c, r ORDER BY r.onset RETURN c.display } AS byOnset,
                COLLECT { MATCH (p)-[:HAS_CONDITION]->(c) WITH c ORDER BY c.display DESC SKIP 1 LIMIT 1 RETURN c.display } AS second,
                COLLECT { MATCH (p)-[:HAS_CONDITION]->(c:Condition {code: 'x'}) RETURN c } AS none",
    );
    assert_eq!(
        rows[0][0],
        strings(&["Diabetes", "Sinusitis", "Hypertension"])
    );
    assert_eq!(rows[0][1], strings(&["Hypertension"]));
    assert_eq!(rows[0][2], strings(&[]));
    // Nested inside a map projection, as GraphQL uses it.
    let rows = run(
        &db,
        "MATCH (p:Patient) WHERE p.id IN ['a', 'b']
         RETURN p { .id, conditions: COLLECT { MATCH (p)-[r:HAS_CONDITION]->(c)
                   WITH r, c ORDER BY c.display RETURN c { .code, onset: r.onset } } } AS patient
         ORDER BY p.id",
    );
    assert_eq!(rows.len(), 2);
    let CypherValue::Map(a) = &rows[0][0] else {
        panic!("a map: {:?}", rows[0][0]);
    };
    let Some(CypherValue::List(conditions)) = a.get("conditions") else {
        panic!("a list of conditions: {a:?}");
    };
    assert_eq!(conditions.len(), 3);
    let CypherValue::Map(first) = &conditions[0] else {
        panic!("a map: {:?}", conditions[0]);
    };
    assert_eq!(first.get("code"), Some(&CypherValue::String("d".into())));
    assert_eq!(first.get("onset"), Some(&CypherValue::Integer(1)));
}

#[test]
fn collect_subquery_errors_are_clear() {
    let db = clinic();
    for (query, needle) in [
        (
            "MATCH (p:Patient) RETURN COLLECT { MATCH (p)-->(c) RETURN c, p } AS x",
            "exactly one column",
        ),
        (
            "RETURN COLLECT { (a)-->(b) } AS x",
            "COLLECT { ... } needs a query",
        ),
        (
            "RETURN COUNT { MATCH (a) RETURN a UNION MATCH (a) RETURN a } AS x",
            "UNION inside a COUNT subquery",
        ),
    ] {
        let err =
            execute(&db, query, &Params::new(), &QueryOptions::default()).expect_err("an error");
        assert!(
            err.to_string().contains(needle),
            "`{query}`: expected `{needle}` in `{err}`"
        );
    }
}

#[test]
fn subqueries_print_back_as_they_parse() {
    for query in [
        "RETURN COUNT { (a)-->(b) WHERE a.x > 1 } AS n",
        "MATCH (p) RETURN COLLECT { MATCH (p)-->(c) RETURN c.name } AS names",
    ] {
        let parsed = cypher::parse(query).unwrap_or_else(|e| panic!("{query}: {e}"));
        let printed = parsed.to_string();
        let reparsed = cypher::parse(&printed).unwrap_or_else(|e| panic!("{printed}: {e}"));
        assert_eq!(parsed.to_string(), reparsed.to_string());
        assert!(
            printed.contains("COUNT {") || printed.contains("COLLECT {"),
            "{printed}"
        );
    }
}
