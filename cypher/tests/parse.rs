//! Focused parser tests: AST shapes, printing, and error reporting.

use cypher::ast::{
    BinaryOp, Clause, ComparisonOp, Direction, ExistsSubquery, Expr, ExprKind, Literal,
    MapProjectionItem, Parameter, QuantifierKind, QueryMode, SetItem, ShortestPath, SortOrder,
    Statement, UnaryOp, VarLength,
};
use cypher::ErrorDetail;

/// Parse (grammar only: these tests use free variables) and check the
/// round trip.
fn parse(q: &str) -> Statement {
    match cypher::parse_syntax_only(q) {
        Ok(s) => {
            let printed = s.to_string();
            let again = cypher::parse_syntax_only(&printed)
                .unwrap_or_else(|e| panic!("printed form of {q:?} fails: {printed}\n{e}"));
            assert_eq!(again, s, "round trip of {q:?} via {printed:?}");
            s
        }
        Err(e) => panic!("{q:?} failed: {e}"),
    }
}

fn print(q: &str) -> String {
    parse(q).to_string()
}

/// The expression of the single item of `RETURN <expr>`.
fn expr(src: &str) -> Expr {
    let s = parse(&format!("RETURN {src}"));
    match &s.query.first.clauses[0] {
        Clause::Return(r) => r.projection.items[0].expr.clone(),
        other => panic!("not a RETURN: {other:?}"),
    }
}

fn where_expr(src: &str) -> Expr {
    let s = parse(&format!("MATCH (a), (b) WHERE {src} RETURN a"));
    match &s.query.first.clauses[0] {
        Clause::Match(m) => m.predicate.clone().expect("a WHERE predicate"),
        other => panic!("not a MATCH: {other:?}"),
    }
}

/// Parse and validate.
fn valid(q: &str) -> Statement {
    let s = cypher::parse(q).unwrap_or_else(|e| panic!("{q:?} failed: {e}"));
    assert_eq!(parse(q), s);
    s
}

fn error(q: &str) -> cypher::CypherError {
    match cypher::parse(q) {
        Ok(s) => panic!("{q:?} unexpectedly parsed: {s}"),
        Err(e) => e,
    }
}

fn detail(q: &str) -> ErrorDetail {
    error(q)
        .detail()
        .unwrap_or_else(|| panic!("{q:?}: no detail"))
}

#[test]
fn literals() {
    assert_eq!(expr("42").kind, ExprKind::Literal(Literal::Integer(42)));
    assert_eq!(expr("0x1F").kind, ExprKind::Literal(Literal::Integer(31)));
    assert_eq!(expr("0o17").kind, ExprKind::Literal(Literal::Integer(15)));
    assert_eq!(
        expr("-9223372036854775808").kind,
        ExprKind::Literal(Literal::Integer(i64::MIN))
    );
    assert_eq!(expr(".5").kind, ExprKind::Literal(Literal::Float(0.5)));
    assert_eq!(expr("1e3").kind, ExprKind::Literal(Literal::Float(1000.0)));
    assert_eq!(expr("2E-01").kind, ExprKind::Literal(Literal::Float(0.2)));
    assert_eq!(
        expr(r#""a\"b\\c\u00e9\t""#).kind,
        ExprKind::Literal(Literal::String("a\"b\\c\u{e9}\t".into()))
    );
    assert_eq!(
        expr(r"'it\'s'").kind,
        ExprKind::Literal(Literal::String("it's".into()))
    );
    assert_eq!(expr("TRUE").kind, ExprKind::Literal(Literal::Boolean(true)));
    assert_eq!(expr("Null").kind, ExprKind::Literal(Literal::Null));
    assert_eq!(
        expr("$0").kind,
        ExprKind::Parameter(Parameter::Positional(0))
    );
    assert_eq!(
        expr("$name").kind,
        ExprKind::Parameter(Parameter::Named("name".into()))
    );
    assert_eq!(
        print("RETURN 1e20, 100.0, -0.5"),
        "RETURN 1e20, 100.0, -0.5"
    );
}

#[test]
fn precedence() {
    assert_eq!(
        print("RETURN true OR false AND NOT x"),
        "RETURN true OR false AND NOT x"
    );
    // NOT binds looser than comparison, tighter than AND.
    let ExprKind::Unary {
        op: UnaryOp::Not,
        expr: inner,
    } = expr("NOT a = b").kind
    else {
        panic!()
    };
    assert!(matches!(inner.kind, ExprKind::Comparison { .. }));
    // IS NULL binds tighter than comparison.
    let ExprKind::Comparison { rest, .. } = expr("a = b IS NULL").kind else {
        panic!()
    };
    assert!(matches!(rest[0].1.kind, ExprKind::IsNull { .. }));
    // Unary minus binds tighter than ^ (so -3 ^ 2 = 9).
    let ExprKind::Binary {
        op: BinaryOp::Power,
        left,
        ..
    } = expr("-x ^ 2").kind
    else {
        panic!()
    };
    assert!(matches!(
        left.kind,
        ExprKind::Unary {
            op: UnaryOp::Minus,
            ..
        }
    ));
    // ^ is left-associative.
    assert_eq!(print("RETURN 2 ^ 3 ^ 2"), "RETURN 2 ^ 3 ^ 2");
    assert_eq!(print("RETURN 2 ^ (3 ^ 2)"), "RETURN 2 ^ (3 ^ 2)");
    assert_eq!(
        print("RETURN (a + b) * c, a + b * c"),
        "RETURN (a + b) * c, a + b * c"
    );
    assert_eq!(
        print("RETURN a - (b - c), (a - b) - c"),
        "RETURN a - (b - c), a - b - c"
    );
    assert_eq!(print("RETURN [1]+2 IN [3]+4"), "RETURN [1] + 2 IN [3] + 4");
    assert_eq!(print("RETURN -(3), - 3, (-3).x"), "RETURN -(3), -3, (-3).x");
    assert_eq!(print("RETURN (NOT a) AND b"), "RETURN NOT a AND b");
}

#[test]
fn comparison_chains() {
    let ExprKind::Comparison { first, rest } = expr("1 < x <= 3 <> y").kind else {
        panic!()
    };
    assert_eq!(first.kind, ExprKind::Literal(Literal::Integer(1)));
    let ops: Vec<_> = rest.iter().map(|(op, _)| *op).collect();
    assert_eq!(ops, [ComparisonOp::Lt, ComparisonOp::Le, ComparisonOp::Neq]);
    // Parenthesized comparisons stay nested.
    assert_eq!(print("RETURN (a < b) < c"), "RETURN (a < b) < c");
    assert_ne!(expr("(a < b) < c"), expr("a < b < c"));
}

#[test]
fn postfix_and_predicates() {
    assert_eq!(
        print("RETURN n.name, n['k'], l[1..2], l[..2], l[1..], n:A:B, m.x.y"),
        "RETURN n.name, n['k'], l[1..2], l[..2], l[1..], n:A:B, m.x.y"
    );
    assert_eq!(
        print("RETURN s STARTS WITH 'a', s ENDS WITH 'b', s CONTAINS 'c', s =~ 'd.*', x IN [1], y IS NOT NULL"),
        "RETURN s STARTS WITH 'a', s ENDS WITH 'b', s CONTAINS 'c', s =~ 'd.*', x IN [1], y IS NOT NULL"
    );
}

#[test]
fn functions_and_special_forms() {
    assert_eq!(expr("count(*)").kind, ExprKind::CountStar);
    let ExprKind::FunctionCall(call) = expr("count(DISTINCT x)").kind else {
        panic!()
    };
    assert!(call.distinct);
    let ExprKind::FunctionCall(call) = expr("date.truncate('day', d)").kind else {
        panic!()
    };
    assert_eq!(call.name.full_name(), "date.truncate");
    assert_eq!(call.args.len(), 2);
    let ExprKind::Quantifier(q) = expr("none(x IN list WHERE x > 1)").kind else {
        panic!()
    };
    assert_eq!(q.kind, QuantifierKind::None);
    assert!(matches!(
        expr("reduce(acc = 0, x IN l | acc + x)").kind,
        ExprKind::Reduce(_)
    ));
    let ExprKind::ListComprehension(c) = expr("[x IN l WHERE x > 0 | x * 2]").kind else {
        panic!()
    };
    assert!(c.predicate.is_some() && c.projection.is_some());
    // With a comma at the top level it is a plain list.
    assert!(matches!(expr("[x IN l, 2]").kind, ExprKind::List(ref v) if v.len() == 2));
    let ExprKind::PatternComprehension(c) = expr("[p = (a)-->(b:B) WHERE b.x | b.name]").kind
    else {
        panic!()
    };
    assert_eq!(c.path_variable.map(|v| v.name), Some("p".into()));
    assert_eq!(
        print("RETURN CASE x WHEN 1 THEN 'a' WHEN 2 THEN 'b' ELSE 'c' END, CASE WHEN x THEN 1 END"),
        "RETURN CASE x WHEN 1 THEN 'a' WHEN 2 THEN 'b' ELSE 'c' END, CASE WHEN x THEN 1 END"
    );
    let ExprKind::MapProjection(m) = expr("n{.name, .*, k: 1, v}").kind else {
        panic!()
    };
    assert!(matches!(m.items[1], MapProjectionItem::AllProperties));
    assert!(matches!(m.items[3], MapProjectionItem::Variable(_)));
    assert_eq!(
        print("RETURN {a: 1, `b c`: [], end: {}}"),
        "RETURN {a: 1, `b c`: [], end: {}}"
    );
}

#[test]
fn pattern_predicates_and_exists() {
    assert!(matches!(where_expr("(a)-->(b)").kind, ExprKind::Pattern(_)));
    assert!(matches!(
        where_expr("NOT (a)-[:T]-(b) AND a.x").kind,
        ExprKind::Binary {
            op: BinaryOp::And,
            ..
        }
    ));
    // A parenthesized label predicate is not a pattern.
    assert!(matches!(
        where_expr("(a:Foo)").kind,
        ExprKind::HasLabels { .. }
    ));
    let ExprKind::Exists(e) = where_expr("exists { (a)-->(c) WHERE c.x = 1 }").kind else {
        panic!()
    };
    assert!(matches!(
        *e,
        ExistsSubquery::Pattern {
            predicate: Some(_),
            ..
        }
    ));
    let ExprKind::Exists(e) = where_expr("EXISTS { MATCH (a)-->(c) RETURN c }").kind else {
        panic!()
    };
    assert!(matches!(*e, ExistsSubquery::Query(_)));
    assert!(matches!(
        where_expr("exists(a.name)").kind,
        ExprKind::FunctionCall(_)
    ));
    parse("MATCH (a) RETURN exists((a)-->())");
    // Outside WHERE a bare pattern is an error.
    assert_eq!(
        detail("MATCH (n) RETURN (n)-[]->()"),
        ErrorDetail::UnexpectedSyntax
    );
    assert_eq!(
        detail("MATCH (n) RETURN size((n)-->())"),
        ErrorDetail::UnexpectedSyntax
    );
}

#[test]
fn patterns() {
    let s = parse(
        "MATCH p = (a:A:B {x: 1})<-[r:T|:U*1..3 {w: $w}]-(b)-[*]-(c)<-->(d)-[:V*2]->(e) RETURN p",
    );
    let Clause::Match(m) = &s.query.first.clauses[0] else {
        panic!()
    };
    let part = &m.pattern[0];
    assert_eq!(part.variable.as_ref().map(|v| v.name.as_str()), Some("p"));
    let rels: Vec<_> = part.element.relationships().collect();
    assert_eq!(rels[0].direction, Direction::Incoming);
    assert_eq!(rels[0].types, ["T", "U"]);
    assert_eq!(
        rels[0].length,
        Some(VarLength {
            min: Some(1),
            max: Some(3)
        })
    );
    assert_eq!(rels[1].direction, Direction::Undirected);
    assert_eq!(
        rels[1].length,
        Some(VarLength {
            min: None,
            max: None
        })
    );
    assert_eq!(rels[2].direction, Direction::Both);
    assert_eq!(
        rels[3].length,
        Some(VarLength {
            min: Some(2),
            max: Some(2)
        })
    );
    assert_eq!(
        print("MATCH (a)-[*..3]->(b), (c)-[*2..]->(d) RETURN a"),
        "MATCH (a)-[*..3]->(b), (c)-[*2..]->(d)\nRETURN a"
    );
    let s = parse("MATCH p = shortestPath((a)-[*]-(b)) RETURN p");
    let Clause::Match(m) = &s.query.first.clauses[0] else {
        panic!()
    };
    assert_eq!(m.pattern[0].element.shortest, Some(ShortestPath::Single));
    parse("MATCH p = allShortestPaths((a)-[*]-(b)) RETURN p");
    parse("CREATE (n $props) RETURN n");
}

#[test]
fn clauses() {
    let s = parse(
        "EXPLAIN MATCH (n) OPTIONAL MATCH (n)-->(m) WITH DISTINCT n, m AS x ORDER BY n.a \
         ASCENDING, x DESC SKIP 1 LIMIT 2 WHERE x IS NULL UNWIND [1] AS i RETURN *, i",
    );
    assert_eq!(s.mode, Some(QueryMode::Explain));
    let clauses = &s.query.first.clauses;
    assert!(matches!(&clauses[1], Clause::Match(m) if m.optional));
    let Clause::With(w) = &clauses[2] else {
        panic!()
    };
    assert!(w.projection.distinct && w.predicate.is_some());
    assert_eq!(w.projection.order_by[0].order, Some(SortOrder::Ascending));
    assert_eq!(w.projection.order_by[1].order, Some(SortOrder::Descending));
    let Clause::Return(r) = &clauses[4] else {
        panic!()
    };
    assert!(r.projection.star && r.projection.items.len() == 1);

    let s =
        parse("MATCH (n) SET n.x = 1, n = {a: 1}, n += $m, n:A:B REMOVE n.x, n:A DETACH DELETE n");
    let Clause::Set(set) = &s.query.first.clauses[1] else {
        panic!()
    };
    assert!(matches!(set.items[0], SetItem::Property { .. }));
    assert!(matches!(set.items[1], SetItem::Replace { .. }));
    assert!(matches!(set.items[2], SetItem::Merge { .. }));
    assert!(matches!(set.items[3], SetItem::Labels { .. }));
    assert!(matches!(&s.query.first.clauses[3], Clause::Delete(d) if d.detach));

    assert_eq!(
        print("MERGE (a:A {id: 1}) ON CREATE SET a.c = 1 ON MATCH SET a.m = 2 RETURN a"),
        "MERGE (a:A {id: 1}) ON CREATE SET a.c = 1 ON MATCH SET a.m = 2\nRETURN a"
    );
    let s = parse("RETURN 1 AS x UNION ALL RETURN 2 AS x UNION ALL RETURN 3 AS x;");
    assert_eq!(s.query.unions.len(), 2);
    assert!(s.query.unions.iter().all(|u| u.all));
    assert_eq!(parse("profile return 1").mode, Some(QueryMode::Profile));
}

#[test]
fn procedure_calls() {
    assert_eq!(print("CALL db.labels"), "CALL db.labels");
    assert_eq!(print("CALL db.labels()"), "CALL db.labels()");
    assert_eq!(
        print("CALL test.my.proc('a', 1) YIELD out AS o, x WHERE o > 1 RETURN o, x"),
        "CALL test.my.proc('a', 1) YIELD out AS o, x WHERE o > 1\nRETURN o, x"
    );
    assert_eq!(print("CALL proc() YIELD *"), "CALL proc() YIELD *");
    assert_eq!(
        detail("CALL test.my.proc YIELD out RETURN out"),
        ErrorDetail::InvalidArgumentPassingMode
    );
    assert_eq!(
        detail("CALL test.my.proc('a') YIELD * RETURN a"),
        ErrorDetail::UnexpectedSyntax
    );
}

#[test]
fn identifiers_keywords_comments() {
    assert_eq!(print("match (n) return n"), "MATCH (n)\nRETURN n");
    assert_eq!(
        print("MATCH (`weird name`:`La bel`) RETURN `weird name`.`a``b`, `end`, n.end"),
        "MATCH (`weird name`:`La bel`)\nRETURN `weird name`.`a``b`, `end`, n.end"
    );
    assert_eq!(print("RETURN größe, _x1"), "RETURN größe, _x1");
    assert_eq!(
        print("MATCH (n) // a comment\n/* block\ncomment */ RETURN n"),
        "MATCH (n)\nRETURN n"
    );
    // Non-reserved words work as variables: count, exists-like names, etc.
    parse("WITH count(*) AS count RETURN count > 0 AS nonEmpty");
}

#[test]
fn error_positions() {
    let e = error("MATCH (n)\nRETURN n +");
    let s = e.as_syntax().expect("syntax error");
    assert_eq!((s.line, s.column, s.offset), (2, 11, 20));
    assert!(
        s.message.contains("expected an expression"),
        "{}",
        s.message
    );
    assert_eq!(e.status_code(), "Neo.ClientError.Statement.SyntaxError");

    let e = error("MATCH (n:) RETURN n");
    let s = e.as_syntax().expect("syntax error");
    assert_eq!(s.offset, 9);
    assert!(
        s.message.contains("')'") && s.message.contains("label"),
        "{}",
        s.message
    );

    let e = error("RETURN 'é' + §");
    let s = e.as_syntax().expect("syntax error");
    assert_eq!((s.line, s.column), (1, 14));
}

#[test]
fn lexical_error_details() {
    assert_eq!(
        detail("RETURN 9223372036854775808"),
        ErrorDetail::IntegerOverflow
    );
    assert_eq!(
        detail("RETURN -9223372036854775809"),
        ErrorDetail::IntegerOverflow
    );
    assert_eq!(
        detail("RETURN 0x8000000000000000"),
        ErrorDetail::IntegerOverflow
    );
    assert_eq!(detail("RETURN 0x"), ErrorDetail::InvalidNumberLiteral);
    assert_eq!(detail("RETURN 12ab"), ErrorDetail::InvalidNumberLiteral);
    assert_eq!(
        detail("RETURN 1.34E999"),
        ErrorDetail::FloatingPointOverflow
    );
    assert_eq!(detail(r"RETURN '\uH'"), ErrorDetail::InvalidUnicodeLiteral);
    assert_eq!(
        detail("RETURN 42 — 41"),
        ErrorDetail::InvalidUnicodeCharacter
    );
    assert_eq!(detail("RETURN 1 # 2"), ErrorDetail::UnexpectedSyntax);
    assert_eq!(
        detail("RETURN {1B2c3e67: 1}"),
        ErrorDetail::UnexpectedSyntax
    );
    assert_eq!(
        detail("RETURN 'unterminated"),
        ErrorDetail::UnexpectedSyntax
    );
    assert_eq!(detail("RETURN [1, 2"), ErrorDetail::UnexpectedSyntax);
}

#[test]
fn structural_error_details() {
    use ErrorDetail as D;
    let cases = [
        (
            "MATCH (a)-[:T..]->(b) RETURN a",
            D::InvalidRelationshipPattern,
        ),
        (
            "MATCH (a)-[:T*-2]->(b) RETURN a",
            D::InvalidRelationshipPattern,
        ),
        ("MATCH (n $p) RETURN n", D::InvalidParameterUse),
        ("MERGE ()-[r:T $p]->()", D::InvalidParameterUse),
        ("CREATE ()-->()", D::NoSingleRelationshipType),
        ("CREATE ()-[:A|B]->()", D::NoSingleRelationshipType),
        ("CREATE ()-[:A]-()", D::RequiresDirectedRelationship),
        ("CREATE ()-[:A*2]->()", D::CreatingVarLength),
        ("MATCH (n) DELETE n:L", D::InvalidDelete),
        (
            "RETURN 1 AS a UNION RETURN 1 AS a UNION ALL RETURN 1 AS a",
            D::InvalidClauseComposition,
        ),
        (
            "RETURN 1 AS a UNION RETURN 1 AS b",
            D::DifferentColumnsInUnion,
        ),
        ("MATCH (n) RETURN n SKIP n.x", D::NonConstantExpression),
        ("MATCH (n) RETURN n LIMIT -1", D::NegativeIntegerArgument),
        ("MATCH (n) RETURN n LIMIT 1.5", D::InvalidArgumentType),
        ("WITH 1 AS a, 2 AS a RETURN a", D::ColumnNameConflict),
        ("MATCH (a) WITH a, count(*) RETURN a", D::NoExpressionAlias),
        (
            "MATCH (a)-[r]->()-[r]->() RETURN r",
            D::RelationshipUniquenessViolation,
        ),
        ("RETURN count(count(*))", D::NestedAggregation),
        (
            "MATCH (a) WHERE count(a) > 1 RETURN a",
            D::InvalidAggregation,
        ),
        (
            "MATCH (n) RETURN [x IN [1] | count(*)]",
            D::InvalidAggregation,
        ),
        (
            "MATCH (n) WITH n.a AS a ORDER BY max(n.b) RETURN a",
            D::InvalidAggregation,
        ),
        (
            "MATCH (a)--(b) RETURN a.x + count(b)",
            D::AmbiguousAggregationExpression,
        ),
        (
            "MATCH (n) WHERE exists { MATCH (n)-->(m) SET m.p = 1 } RETURN n",
            D::InvalidClauseComposition,
        ),
        ("MATCH (n)", D::InvalidClauseComposition),
        ("RETURN 1 MATCH (n) RETURN n", D::InvalidClauseComposition),
    ];
    for (q, want) in cases {
        assert_eq!(detail(q), want, "{q}");
    }
    // The legal neighbours of those.
    for q in [
        "MERGE (a)-[:T]-(b)",
        "MATCH (a)--(b) RETURN a, a.x + count(b), {k: a.x, c: collect(b)}",
        "MATCH (a) RETURN a.x, count(*) ORDER BY count(*)",
        "MATCH (a) RETURN [x IN collect(a) | x.name]",
        "MATCH (n) RETURN n SKIP $s LIMIT toInteger(rand() * 9)",
        "CALL proc",
        "MATCH (n) CALL proc()",
    ] {
        valid(q);
    }
    // The grammar alone accepts the structural errors.
    assert!(cypher::parse_syntax_only("CREATE ()-->()").is_ok());
}

#[test]
fn scope_and_type_details() {
    use ErrorDetail as D;
    let cases = [
        ("RETURN x", D::UndefinedVariable),
        (
            "MATCH (n) WHERE (n)-[r]->(m) RETURN n",
            D::UndefinedVariable,
        ),
        (
            "MATCH (a), (b) WITH a WITH a ORDER BY b.x RETURN a",
            D::UndefinedVariable,
        ),
        (
            "MATCH (a) WITH DISTINCT a.x AS x ORDER BY a.y RETURN x",
            D::UndefinedVariable,
        ),
        (
            "MATCH (a) WITH a.x AS x, count(*) AS c ORDER BY sum(a.y) RETURN x",
            D::UndefinedVariable,
        ),
        ("CALL proc(1) RETURN out", D::UndefinedVariable),
        ("MATCH (a) CREATE (a)", D::VariableAlreadyBound),
        (
            "CREATE (n:A) CREATE (n:B)-[:T]->()",
            D::VariableAlreadyBound,
        ),
        (
            "MATCH ()-[r]->() CREATE ()-[r]->()",
            D::VariableAlreadyBound,
        ),
        ("MATCH p = (p)-->() RETURN p", D::VariableAlreadyBound),
        (
            "WITH 1 AS x UNWIND [1] AS x RETURN x",
            D::VariableAlreadyBound,
        ),
        (
            "WITH 'a' AS label CALL db.labels() YIELD label RETURN label",
            D::VariableAlreadyBound,
        ),
        (
            "MATCH ()-[r]-() MATCH (r) RETURN r",
            D::VariableTypeConflict,
        ),
        (
            "MATCH (r) MATCH ()-[r]-() RETURN r",
            D::VariableTypeConflict,
        ),
        ("WITH true AS n MATCH (n) RETURN n", D::VariableTypeConflict),
        ("MATCH p = ()-->(), (p) RETURN p", D::VariableTypeConflict),
        ("MATCH () RETURN *", D::NoVariablesInScope),
        ("RETURN 123 AND true", D::InvalidArgumentType),
        ("RETURN NOT 'x'", D::InvalidArgumentType),
        ("RETURN 1 IN 'abc'", D::InvalidArgumentType),
        (
            "RETURN any(x IN ['a'] WHERE x % 2 = 0)",
            D::InvalidArgumentType,
        ),
        ("MATCH (n) WHERE (n) RETURN n", D::InvalidArgumentType),
        ("MATCH p = (a)-->() RETURN p.name", D::InvalidArgumentType),
        ("MATCH (n) RETURN type(n)", D::InvalidArgumentType),
        ("MATCH () DELETE 1 + 1", D::InvalidArgumentType),
    ];
    for (q, want) in cases {
        assert_eq!(detail(q), want, "{q}");
    }
    for q in [
        "MATCH (a) OPTIONAL MATCH (a)-[r]->(b) WITH a WHERE r IS NULL RETURN a",
        "MATCH (a) WITH DISTINCT a.x AS x WHERE a.x = 1 RETURN x",
        "MATCH (a) WITH a ORDER BY a.x RETURN a",
        "MATCH (a)-[r]->(b) MATCH (c)-[r]->(d) RETURN c",
        "MATCH (a) MERGE (a)-[:T]->(b:B {x: a.x}) RETURN b",
        "MATCH (n) RETURN [(n)-->(m) | m.name], exists { (n)-->(k) WHERE k.x > 1 }",
        "MATCH (n) WHERE exists { MATCH (n)-->(m) RETURN m } RETURN n",
        "UNWIND [1, 2] AS x WITH collect(x) AS xs UNWIND xs AS y RETURN y",
        "WITH [r1, r2] AS rs MATCH (a)-[rs*]->(b) RETURN a",
        "CALL proc() YIELD *",
        "MATCH (n) RETURN n.x AS x ORDER BY x",
        "MATCH () CREATE () WITH * CREATE ()",
    ] {
        if q.contains("r1") {
            // r1 and r2 are undefined: only the pattern re-use is of interest.
            assert_eq!(detail(q), D::UndefinedVariable);
        } else {
            valid(q);
        }
    }
}
