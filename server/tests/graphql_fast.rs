//! The read fast path against the executor: a broad corpus of read queries
//! (every entry point and field of the model, aliases, `__typename`,
//! fragments, variables, filters, sorts, paging, aggregates, nulls) runs
//! through `schema.execute` and through `FastPath`, as an administrator, a
//! clinician and an analyst, on the bundled sample. The JSON answers and
//! the patients each run noted for the audit log must be identical.
//! Documents the fast path must leave to the executor are checked too, and
//! over HTTP, a query answered a second time (by the fast path) gives the
//! same body.

mod graphql_common;

use std::fmt::Write as _;
use std::sync::Arc;

use async_graphql::Variables;
use graphql_common::{sample_db, shared};
use serde_json::{json, Value as Json};
use server::graphql::fast::FastPath;
use server::graphql::model::{PropType, LABELS};
use server::graphql::{build_schema, Api, EmbeddedBackend, Limits};
use server::security::{Caller, Clearance, PolicyBuilder, PseudonymKey, RequestAccess};

struct Harness {
    api: Arc<Api>,
    schema: async_graphql::dynamic::Schema,
    fast: FastPath,
    policies: PolicyBuilder,
    runtime: tokio::runtime::Runtime,
}

impl Harness {
    fn new(cache_entries: u64) -> Harness {
        let limits = Limits {
            cache_entries,
            ..Limits::default()
        };
        let api = Api::new(
            EmbeddedBackend::new(sample_db(), cache_entries),
            limits,
            false,
        );
        Harness {
            schema: build_schema(api.clone()).expect("schema"),
            api,
            fast: FastPath::new(1_000, cache_entries),
            policies: PolicyBuilder::new(PseudonymKey::random()),
            runtime: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime"),
        }
    }

    fn access(&self, clearance: &Clearance) -> Arc<RequestAccess> {
        RequestAccess::new(
            Caller {
                subject: "differential".into(),
                clearance: clearance.clone(),
            },
            self.policies.clone(),
        )
    }

    /// The executor's answer and the patients it noted.
    fn executor(
        &self,
        clearance: &Clearance,
        query: &str,
        variables: &Json,
        operation: Option<&str>,
    ) -> (String, Vec<String>) {
        let access = self.access(clearance);
        let mut request = async_graphql::Request::new(query)
            .variables(Variables::from_json(variables.clone()))
            .data(access.clone());
        if let Some(name) = operation {
            request = request.operation_name(name);
        }
        let response = self.runtime.block_on(self.schema.execute(request));
        (
            serde_json::to_string(&response).expect("json"),
            access.touched(),
        )
    }

    /// The fast path's answer (`None`: it leaves the document to the
    /// executor) and the patients it noted.
    fn fast(
        &self,
        clearance: &Clearance,
        query: &str,
        variables: &Json,
        operation: Option<&str>,
    ) -> Option<(String, Vec<String>)> {
        let plan = self.fast.plan(query, operation)?;
        let access = self.access(clearance);
        let variables = Variables::from_json(variables.clone());
        let answer = self
            .runtime
            .block_on(self.fast.execute(&plan, &self.api, &access, &variables))?;
        let touched = access.touched();
        assert_eq!(answer.touched, touched, "{query}: the answer's patients");
        Some((
            String::from_utf8(answer.body.to_vec()).expect("utf-8"),
            touched,
        ))
    }

    /// Runs `query` both ways and asserts identical answers (the same
    /// text: same keys in the same order) and noted patients.
    fn same(&self, clearance: &Clearance, query: &str, variables: &Json, operation: Option<&str>) {
        let (expected, expected_touched) = self.executor(clearance, query, variables, operation);
        let parsed: Json = serde_json::from_str(&expected).expect("json");
        assert!(
            parsed.get("errors").is_none(),
            "{clearance:?} {query} {variables}: the executor failed: {expected}"
        );
        let plan = self
            .fast
            .plan(query, operation)
            .unwrap_or_else(|| panic!("the fast path takes {query}"));
        plan.mark_validated();
        let (answer, touched) = self
            .fast(clearance, query, variables, operation)
            .unwrap_or_else(|| panic!("{clearance:?} {query} {variables}: the fast path gave up"));
        assert_eq!(answer, expected, "{clearance:?} {query} {variables}");
        assert_eq!(
            touched, expected_touched,
            "{clearance:?} {query}: noted patients"
        );
        // Again: with a cache, from the kept answer.
        let (again, touched_again) = self
            .fast(clearance, query, variables, operation)
            .unwrap_or_else(|| {
                panic!("{clearance:?} {query} {variables}: gave up the second time")
            });
        assert_eq!(
            again, expected,
            "{clearance:?} {query} {variables}: a second time"
        );
        assert_eq!(
            touched_again, expected_touched,
            "{clearance:?} {query}: noted patients a second time"
        );
    }

    fn data(&self, query: &str) -> Json {
        let (answer, _) = self.executor(&Clearance::Admin, query, &json!({}), None);
        let answer: Json = serde_json::from_str(&answer).expect("json");
        assert!(answer.get("errors").is_none(), "{query}: {answer}");
        answer["data"].clone()
    }
}

fn ids(data: &Json, root: &str, key: &str) -> Vec<Json> {
    data[root]["edges"]
        .as_array()
        .map(|edges| edges.iter().map(|e| e["node"][key].clone()).collect())
        .unwrap_or_default()
}

/// One query per label that selects every property, every relationship
/// field (with its edge properties and aggregate) and the connection's
/// page fields, and one by key.
fn model_corpus() -> Vec<String> {
    let mut queries = Vec::new();
    for label in LABELS {
        let props: Vec<&str> = label.props.iter().map(|p| p.name).collect();
        let mut fields = props.join(" ");
        for rel in label.rels {
            let target = server::graphql::model::label(rel.target).expect("target");
            if rel.many {
                let edge_props: Vec<&str> = rel.props.iter().map(|p| p.name).collect();
                let _ = write!(
                    fields,
                    " {f}(first: 2) {{ totalCount pageInfo {{ hasNextPage endCursor }} edges {{ cursor {ep} node {{ __typename {key} }} }} }} {f}Aggregate {{ count __typename }}",
                    f = rel.field,
                    ep = edge_props.join(" "),
                    key = target.key,
                );
            } else {
                let _ = write!(fields, " {} {{ {} }}", rel.field, target.key);
            }
        }
        queries.push(format!(
            "{{ {many}(first: 3) {{ totalCount edges {{ cursor node {{ __typename {fields} }} }} pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }} }}",
            many = label.many
        ));
        let mut stats = vec!["count".to_owned()];
        for prop in label.props {
            match prop.ty {
                PropType::Int | PropType::Float => {
                    stats.push(format!("{} {{ sum avg min max }}", prop.name));
                }
                PropType::Date | PropType::DateTime => {
                    stats.push(format!("{} {{ min max __typename }}", prop.name));
                }
                _ => {}
            }
        }
        queries.push(format!(
            "{{ {many}Aggregate {{ {} }} }}",
            stats.join(" "),
            many = label.many
        ));
    }
    queries
}

#[test]
fn the_fast_path_answers_exactly_as_the_executor() {
    let harness = Harness::new(0);
    let busiest = harness
        .data("{ patients(first: 3, sort: [{conditionsCount: DESC}]) { edges { node { id } } } }");
    let patients = ids(&busiest, "patients", "id");
    let orgs = harness.data(
        "{ organizations(first: 2, sort: [{encountersCount: DESC}]) { edges { node { id } } } }",
    );
    let org_ids: Vec<String> = ids(&orgs, "organizations", "id")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    let cursors = harness.data("{ patients(first: 4) { edges { cursor } } }");
    let cursor = cursors["patients"]["edges"][2]["cursor"].clone();
    let pid = patients[0].clone();

    let mut corpus: Vec<(String, Json, Option<&str>)> = vec![
        // The benchmark's queries.
        ("query($id: ID!) { patient(id: $id) { name city { name } conditions(first: 20) { edges { onset node { code display } } } } }".into(), json!({"id": pid}), None),
        ("{ patients(first: 20) { edges { node { id name prescriptions(first: 10) { totalCount edges { node { authoredOn medication { display } } } } } } } }".into(), json!({}), None),
        ("{ payers(first: 20) { edges { node { name claimsAggregate { count total { sum avg } } } } } }".into(), json!({}), None),
        // Aliases, __typename at every level, nested one-node fields.
        ("query($id: ID!) { p: patient(id: $id) { __typename who: name id birthDate deathDate latitude stub c: city { __typename id n: name inState { code name country { code __typename } } } } }".into(), json!({"id": pid}), None),
        ("{ patients(first: 5) { __typename totalCount pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor } edges { __typename cursor node { id } } } }".into(), json!({}), None),
        // Paging forward and backward, with variables and literals.
        ("query($after: String) { patients(first: 3, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }".into(), json!({"after": cursor}), None),
        ("{ patients(last: 4) { totalCount edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }".into(), json!({}), None),
        ("query($before: String) { patients(last: 2, before: $before) { totalCount edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage } } }".into(), json!({"before": cursor}), None),
        ("query($n: Int) { patients(first: $n) { edges { node { id } } pageInfo { hasNextPage } } }".into(), json!({"n": null}), None),
        ("query($n: Int = 2) { patients(first: $n) { edges { node { id } } } }".into(), json!({}), None),
        ("{ patients(first: 0) { totalCount edges { node { id } } pageInfo { hasNextPage startCursor } } }".into(), json!({}), None),
        // Filters and sorts.
        ("{ patients(first: 5, filter: {gender: {eq: \"female\"}, birthDate: {gte: \"1960-01-01\"}}) { totalCount edges { node { id gender birthDate } } } }".into(), json!({}), None),
        ("{ patients(first: 5, filter: {OR: [{name: {startsWith: \"A\"}}, {NOT: {gender: {eq: \"male\"}}}], conditions: {some: {node: {display: {contains: \"a\"}}}}}) { totalCount edges { node { name } } } }".into(), json!({}), None),
        ("{ patients(first: 5, sort: [{birthDate: DESC}, {name: ASC}]) { edges { node { id name birthDate } } } }".into(), json!({}), None),
        ("{ patients(first: 5, sort: [{encountersCount: DESC}]) { edges { node { id encountersAggregate { count start { min max } } } } } }".into(), json!({}), None),
        ("query($id: ID!) { patient(id: $id) { conditions(first: 5, edgeSort: [{onset: DESC}], edgeFilter: {status: {isNull: false}}) { totalCount edges { id onset abatement status cursor node { code display system } } } } }".into(), json!({"id": pid}), None),
        ("query($id: ID!, $kind: String) { patient(id: $id) { claimsAggregate(filter: {type: {eq: $kind}}) { count total { sum avg min max } created { min max } } } }".into(), json!({"id": pid, "kind": "pharmacy"}), None),
        // Aggregates at the root.
        ("{ claimsAggregate(filter: {total: {gt: 100}}) { __typename count total { sum avg min max __typename } created { min max } } }".into(), json!({}), None),
        // Several hops; one-node fields that are null.
        ("{ states(first: 2) { edges { node { code patients(first: 3) { totalCount edges { node { id } } } } } } }".into(), json!({}), None),
        ("{ prescriptions(first: 10) { edges { node { id encounter { id class } prescriber { name } reasons(first: 2) { edges { node { code } } } } } } }".into(), json!({}), None),
        // Fragments, named and inline.
        ("query($id: ID!) { patient(id: $id) { ...P city { ... on City { name } } } } fragment P on Patient { id name gender }".into(), json!({"id": pid}), None),
        ("{ ...Q } fragment Q on Query { patients(first: 2) { ...C } } fragment C on PatientConnection { totalCount edges { node { id } } }".into(), json!({}), None),
        // A missing node is null.
        ("{ patient(id: \"no such patient\") { name } }".into(), json!({}), None),
        ("query($id: ID!) { patient(id: $id) { name } }".into(), json!({"id": "no such patient"}), None),
        // Documents of several operations.
        ("query A($id: ID!) { patient(id: $id) { name } } query B { patientsAggregate { count } }".into(), json!({"id": pid}), Some("A")),
        ("query A($id: ID!) { patient(id: $id) { name } } query B { patientsAggregate { count } }".into(), json!({}), Some("B")),
        // Several root fields (sequential here: the executor's order is the
        // selection's when every field is ready at once, as without a
        // spawned query; see below for the compared values).
        ("{ __typename }".into(), json!({}), None),
    ];
    for query in model_corpus() {
        corpus.push((query, json!({}), None));
    }
    for id in &patients {
        corpus.push((
            "query($id: ID!) { patient(id: $id) { id name ssn mrn allergies(first: 3) { edges { criticality node { display } } } generalPractitioners(first: 2) { edges { node { name organizations(first: 1) { edges { role node { name } } } } } } } }".into(),
            json!({"id": id}),
            None,
        ));
    }

    let clearances = [
        Clearance::Admin,
        Clearance::Clinician(org_ids),
        Clearance::Analyst,
    ];
    for clearance in &clearances {
        for (query, variables, operation) in &corpus {
            harness.same(clearance, query, variables, *operation);
        }
    }

    // Several root fields: the executor answers them concurrently, its
    // keys in the order they finish; the fast path in the selection's
    // order. The values are the same.
    let query = "query($id: ID!, $n: Int) { one: patient(id: $id) { name } page: patients(first: $n) { totalCount edges { node { id } } } count: conditionsAggregate { count } __typename }";
    let variables = json!({"id": pid, "n": 3});
    for clearance in &clearances {
        let (expected, expected_touched) = harness.executor(clearance, query, &variables, None);
        harness
            .fast
            .plan(query, None)
            .expect("plan")
            .mark_validated();
        let (answer, touched) = harness
            .fast(clearance, query, &variables, None)
            .expect("the fast path answers");
        let expected: Json = serde_json::from_str(&expected).expect("json");
        let answer_json: Json = serde_json::from_str(&answer).expect("json");
        assert_eq!(answer_json, expected);
        assert_eq!(touched, expected_touched);
        assert!(answer.starts_with("{\"data\":{\"one\":"), "{answer}");
    }
}

#[test]
fn the_same_with_the_answer_cache() {
    let harness = Harness::new(1_000);
    let data = harness.data("{ patients(first: 3) { edges { node { id } } } }");
    for _ in 0..2 {
        for id in ids(&data, "patients", "id") {
            for clearance in [Clearance::Admin, Clearance::Analyst] {
                harness.same(
                    &clearance,
                    "query($id: ID!) { patient(id: $id) { name city { name } conditions(first: 20) { edges { onset node { code display } } } } }",
                    &json!({"id": id}),
                    None,
                );
            }
        }
    }
}

#[test]
fn a_kept_answer_is_never_stale() {
    let harness = Harness::new(1_000);
    let data = harness.data("{ patients(first: 1) { edges { node { id } } } }");
    let id = ids(&data, "patients", "id")[0].clone();
    let query = "query($id: ID!) { patient(id: $id) { id name } }";
    let variables = json!({"id": id});
    harness.same(&Clearance::Admin, query, &variables, None);
    let db = harness.api.backend.database().expect("embedded");
    let mut params = cypher::Params::new();
    params.insert(
        "id".into(),
        cypher::CypherValue::String(id.as_str().expect("an id").into()),
    );
    cypher::execute(
        db,
        "MATCH (p:Patient {id: $id}) SET p.name = 'Renamed Since'",
        &params,
        &cypher::QueryOptions::default(),
    )
    .expect("write");
    let (answer, _) = harness
        .fast(&Clearance::Admin, query, &variables, None)
        .expect("the fast path answers");
    assert!(answer.contains("Renamed Since"), "{answer}");
    harness.same(&Clearance::Admin, query, &variables, None);
}

#[test]
fn the_fast_path_leaves_the_rest_to_the_executor() {
    let harness = Harness::new(0);
    let data = harness.data("{ patients(first: 1) { edges { node { id } } } }");
    let pid = ids(&data, "patients", "id")[0].clone();
    // Not taken at all.
    for query in [
        "mutation { createPatient(input: {id: \"x\"}) { id } }",
        "subscription { prescriptionCreated { id } }",
        "{ __schema { queryType { name } } }",
        "{ __type(name: \"Patient\") { name } }",
        "query($s: Boolean!) { patients(first: 1) @include(if: $s) { totalCount } }",
        "query($f: PatientFilter) { patients(first: 1, filter: $f) { totalCount } }",
        "{ patients(first: 1) { totalCount totalCount } }",
        "{ patients(first: 1) { edges { node { nonsense } } } }",
        "{ patient(id: \"x\") { recommendations { medication { code } } } }",
        "query A { patientsAggregate { count } } query B { patientsAggregate { count } }",
        "{ patients(first: 1) { ",
    ] {
        assert!(harness.fast.plan(query, None).is_none(), "{query}");
    }
    // Taken, but given up on: not yet validated; variables that do not fit;
    // errors (for the executor to report exactly).
    let query = "query($id: ID!) { patient(id: $id) { name } }";
    assert!(harness
        .fast(&Clearance::Admin, query, &json!({"id": pid}), None)
        .is_none());
    harness
        .fast
        .plan(query, None)
        .expect("plan")
        .mark_validated();
    for variables in [
        json!({}),
        json!({"id": null}),
        json!({"id": 7}),
        json!({"id": [pid]}),
    ] {
        assert!(
            harness
                .fast(&Clearance::Admin, query, &variables, None)
                .is_none(),
            "{variables}"
        );
    }
    for (query, variables) in [
        ("query($n: Int) { patients(first: $n) { totalCount } }", json!({"n": 1000})),
        ("query($n: Int) { patients(first: $n) { totalCount } }", json!({"n": -1})),
        ("query($n: Int) { patients(first: $n) { totalCount } }", json!({"n": 1.5})),
        ("query($c: String) { patients(first: 1, after: $c) { totalCount } }", json!({"c": "not a cursor"})),
        // Over the complexity limit with these variables.
        ("query($n: Int) { patients(first: $n) { edges { node { conditions(first: $n) { edges { node { patients(first: $n) { totalCount } } } } } } } }", json!({"n": 100})),
    ] {
        harness.fast.plan(query, None).expect("plan").mark_validated();
        assert!(
            harness
                .fast(&Clearance::Admin, query, &variables, None)
                .is_none(),
            "{query} {variables}"
        );
    }
}

#[test]
fn over_http_a_repeated_query_gets_the_same_answer() {
    let server = shared();
    let data = server.data(
        "{ patients(first: 2) { edges { node { id } } } }",
        &json!({}),
    );
    let query = "query($id: ID!) { patient(id: $id) { __typename name city { name } conditions(first: 5) { totalCount edges { onset cursor node { code display } } } } }";
    for id in ids(&data, "patients", "id") {
        let variables = json!({"id": id});
        let first = server.graphql(query, &variables);
        assert!(first.get("errors").is_none(), "{first}");
        for _ in 0..3 {
            let again = server.graphql(query, &variables);
            assert_eq!(
                serde_json::to_string(&again).expect("json"),
                serde_json::to_string(&first).expect("json")
            );
        }
    }
    // An error is still the executor's, every time.
    for _ in 0..2 {
        let (code, _) = server.error_code(
            "query($n: Int) { patients(first: $n) { totalCount } }",
            &json!({"n": 1000}),
        );
        assert_eq!(code, "BAD_USER_INPUT");
    }
}
