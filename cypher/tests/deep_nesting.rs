//! Deeply nested input must produce an error, never a stack overflow.

fn assert_rejected_in_bounds(query: &str) {
    match cypher::parse(query) {
        Ok(_) => panic!("deeply nested query unexpectedly parsed"),
        Err(e) => assert!(e.offset() <= query.len()),
    }
}

#[test]
fn hundred_thousand_parens() {
    let q = format!("RETURN {}1{}", "(".repeat(100_000), ")".repeat(100_000));
    assert_rejected_in_bounds(&q);
    let q = format!("RETURN {}", "(".repeat(100_000));
    assert_rejected_in_bounds(&q);
}

#[test]
fn deep_lists_maps_and_operators() {
    let n = 20_000;
    assert_rejected_in_bounds(&format!("RETURN {}1{}", "[".repeat(n), "]".repeat(n)));
    assert_rejected_in_bounds(&format!("RETURN {}1{}", "{a:".repeat(n), "}".repeat(n)));
    assert_rejected_in_bounds(&format!("RETURN {}1", "-".repeat(n)));
    assert_rejected_in_bounds(&format!("RETURN {}1", "NOT ".repeat(n)));
    assert_rejected_in_bounds(&format!("RETURN {}", "[x IN ".repeat(n)));
    assert_rejected_in_bounds(&format!(
        "MATCH (n) WHERE {}true{} RETURN n",
        "exists { MATCH (m) WHERE ".repeat(n),
        " RETURN m }".repeat(n)
    ));
    assert_rejected_in_bounds(&format!("RETURN {}", "CASE WHEN ".repeat(n)));
    assert_rejected_in_bounds(&format!("MATCH {}", "({a: ".repeat(n)));
}

#[test]
fn nesting_just_below_the_limit_parses() {
    let depth = 100;
    let q = format!("RETURN {}1{}", "(".repeat(depth), ")".repeat(depth));
    let ast = cypher::parse(&q).expect("moderate nesting parses");
    assert_eq!(ast.to_string(), "RETURN 1");
    let q = format!("RETURN {}1{}", "[".repeat(depth), "]".repeat(depth));
    let ast = cypher::parse(&q).expect("moderate nesting parses");
    assert_eq!(cypher::parse(&ast.to_string()).expect("reparses"), ast);
}

#[test]
fn long_flat_input() {
    // Lists, maps, patterns and clause sequences are flat in the tree.
    let q = format!("RETURN [{}]", vec!["1"; 20_000].join(", "));
    cypher::parse(&q).expect("long list parses");
    let q = format!("MATCH (a){} RETURN a", "-->()".repeat(5_000));
    cypher::parse(&q).expect("long pattern parses");
    let q = format!("{}RETURN 1", "WITH 1 AS x ".repeat(5_000));
    cypher::parse(&q).expect("many clauses parse");
    let q = format!("RETURN 1 < {}", vec!["2"; 5_000].join(" < "));
    cypher::parse(&q).expect("long comparison chain parses");
    // Operator chains nest the tree, so they share the depth budget.
    let q = format!("RETURN {}", vec!["1"; 400].join(" + "));
    let ast = cypher::parse(&q).expect("400-term sum parses");
    assert_eq!(cypher::parse(&ast.to_string()).expect("reparses"), ast);
    let q = format!("RETURN {}", vec!["1"; 20_000].join(" + "));
    assert_rejected_in_bounds(&q);
    let q = format!("RETURN n{}", ".p".repeat(20_000));
    assert_rejected_in_bounds(&q);
}

#[test]
fn limit_is_about_max_depth_levels() {
    let ok = cypher::MAX_DEPTH - 10;
    let q = format!("RETURN {}1{}", "(".repeat(ok), ")".repeat(ok));
    cypher::parse(&q).expect("nesting below MAX_DEPTH parses");
    let bad = cypher::MAX_DEPTH + 10;
    let q = format!("RETURN {}1{}", "(".repeat(bad), ")".repeat(bad));
    let e = cypher::parse(&q).expect_err("nesting above MAX_DEPTH fails");
    assert_eq!(e.status_code(), "Neo.ClientError.Statement.SyntaxError");
    assert!(e.to_string().contains("nested too deeply"), "{e}");
}
