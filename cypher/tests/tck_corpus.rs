//! Every query in the openCypher TCK: parse, print, parse again.

mod common;

use std::collections::BTreeMap;

use common::load_tck_queries;

#[test]
fn tck_queries_parse_and_round_trip() {
    let Some(queries) = load_tck_queries() else {
        eprintln!("TCK features not found (set CYPHER_TCK_DIR); skipping");
        return;
    };
    // Outline expansion repeats queries: count each distinct text once.
    let mut seen = std::collections::HashSet::new();
    let queries: Vec<_> = queries
        .into_iter()
        .filter(|q| seen.insert((q.query.clone(), q.expected_syntax_error.clone())))
        .collect();

    let mut valid_total: usize = 0;
    let mut valid_parsed: usize = 0;
    let mut parse_failures = Vec::new();
    let mut round_trip_failures = Vec::new();
    let mut invalid_total = 0;
    let mut invalid_rejected = 0;
    let mut by_detail: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();

    for q in &queries {
        let result = cypher::parse(&q.query);
        if let Some(expected) = &q.expected_syntax_error {
            invalid_total += 1;
            let entry = by_detail.entry(expected.clone()).or_default();
            entry.0 += 1;
            if let Err(e) = &result {
                invalid_rejected += 1;
                entry.1 += 1;
                if e.detail().map(cypher::ErrorDetail::as_str) == Some(expected.as_str()) {
                    entry.2 += 1;
                } else {
                    eprintln!(
                        "OTHER DETAIL (expected {expected}): {}\n  -> {e}\n",
                        q.query
                    );
                }
            }
        } else {
            valid_total += 1;
            match &result {
                Ok(_) => valid_parsed += 1,
                Err(e) => parse_failures.push(format!(
                    "{} / {}\n{}\n  -> {e}",
                    q.file.display(),
                    q.scenario,
                    q.query
                )),
            }
        }
        if let Ok(ast) = &result {
            let printed = ast.to_string();
            match cypher::parse(&printed) {
                Ok(again) if again == *ast => {
                    let reprinted = again.to_string();
                    if reprinted != printed {
                        round_trip_failures.push(format!(
                            "{}\nprinted:   {printed}\nreprinted: {reprinted}",
                            q.query
                        ));
                    }
                }
                Ok(again) => round_trip_failures.push(format!(
                    "{}\nprinted: {printed}\nreparsed differently: {again}",
                    q.query
                )),
                Err(e) => round_trip_failures.push(format!(
                    "{}\nprinted: {printed}\nfails to reparse: {e}",
                    q.query
                )),
            }
        }
    }

    for f in parse_failures.iter().take(60) {
        eprintln!("PARSE FAILURE: {f}\n");
    }
    for f in round_trip_failures.iter().take(30) {
        eprintln!("ROUND-TRIP FAILURE: {f}\n");
    }
    eprintln!(
        "TCK: {valid_parsed}/{valid_total} valid queries parse ({:.2}%), {} round-trip failures",
        100.0 * valid_parsed as f64 / valid_total.max(1) as f64,
        round_trip_failures.len()
    );
    eprintln!(
        "TCK: {invalid_rejected}/{invalid_total} queries expected to fail with a compile-time \
         SyntaxError are rejected"
    );
    for (detail, (total, rejected, exact)) in &by_detail {
        eprintln!("  {detail:32} {rejected:4}/{total:<4} rejected, {exact:4} with this detail");
    }
    assert!(valid_total > 0, "no TCK queries found");
    assert!(
        valid_parsed * 100 >= valid_total * 97,
        "only {valid_parsed}/{valid_total} valid TCK queries parse"
    );
    assert!(
        round_trip_failures.is_empty(),
        "{} queries do not round-trip",
        round_trip_failures.len()
    );
}
