//! A deterministic stand-in for `cargo fuzz`: ~20,000 mutations of TCK
//! queries (byte flips, truncations, duplications, splices, token
//! insertions, deep nesting). The parser must never panic, every error
//! must point inside the input, and whatever parses must round-trip.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};

use common::{load_tck_queries, Rng};

/// Override with `CYPHER_FUZZ_MUTATIONS` / `CYPHER_FUZZ_SEED` for longer
/// local runs.
const MUTATIONS: usize = 20_000;
const SEED: u64 = 0x00C0_FFEE_5EED;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const SEEDS: &[&str] = &[
    "MATCH (a:A {x: 1})-[r:T|U*1..3]->(b) WHERE a.x < b.y <= 3 RETURN a, count(*) AS c ORDER BY c DESC SKIP 1 LIMIT 2",
    "UNWIND [1, 2.5, 'x', null, true, {k: [1]}] AS x WITH x WHERE x IS NOT NULL RETURN DISTINCT x",
    "MERGE (n:N {id: $id}) ON CREATE SET n.c = 1 ON MATCH SET n += {m: 2}, n:L RETURN n{.id, .*, k: -1}",
    "MATCH p = (a)<--(b) WHERE exists { (a)-->() } AND all(x IN nodes(p) WHERE x.v > 0) RETURN [y IN range(0, 9) WHERE y % 2 = 0 | y ^ 2]",
    "CALL db.labels() YIELD label AS l WHERE l STARTS WITH 'A' RETURN l UNION ALL RETURN 'z' AS l",
    "MATCH (n) DETACH DELETE n",
    "RETURN CASE WHEN 1 = 1 THEN 'a' ELSE 'b' END, reduce(s = 0, i IN [1, 2] | s + i), '\\u00e9\\n'",
];

const TOKENS: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "-->",
    "<--",
    "-[",
    "]->",
    "<-[",
    "--",
    "*",
    "*1..",
    "..",
    ":",
    "|",
    ",",
    ".",
    "$",
    "$0",
    "'",
    "\"",
    "`",
    "\\",
    "\\u",
    "/*",
    "//",
    "*/",
    "MATCH ",
    " RETURN ",
    " WHERE ",
    " WITH ",
    " UNION ",
    " AS ",
    " AND ",
    " NOT ",
    " IS NULL",
    " IN ",
    " CASE ",
    " END",
    "exists {",
    "count(*)",
    "0x",
    "0o7",
    "1e999",
    "9223372036854775808",
    "-",
    ".5",
    "é",
    "—",
    "🧐",
    "\u{0}",
    "\n",
    " ",
    "=~",
    "+=",
    "<>",
    "<=",
    "^",
    "%",
    "shortestPath(",
    "[x IN ",
    " | ",
];

fn mutate(rng: &mut Rng, corpus: &[String]) -> String {
    let base = &corpus[rng.below(corpus.len())];
    let mut bytes = base.as_bytes().to_vec();
    let rounds = 1 + rng.below(3);
    for _ in 0..rounds {
        let len = bytes.len().max(1);
        match rng.below(8) {
            0 => {
                // Byte flip.
                if !bytes.is_empty() {
                    let i = rng.below(bytes.len());
                    bytes[i] = (rng.next_u64() & 0xFF) as u8;
                }
            }
            1 => bytes.truncate(rng.below(len)),
            2 => {
                // Duplicate a range in place.
                let a = rng.below(len);
                let b = (a + rng.below(24)).min(bytes.len());
                if a < b {
                    let chunk = bytes[a..b].to_vec();
                    let at = rng.below(bytes.len() + 1);
                    bytes.splice(at..at, chunk);
                }
            }
            3 => {
                // Delete a range.
                let a = rng.below(len);
                let b = (a + rng.below(12)).min(bytes.len());
                if a < b {
                    bytes.drain(a..b);
                }
            }
            4 | 5 => {
                let tok = TOKENS[rng.below(TOKENS.len())].as_bytes();
                let at = rng.below(bytes.len() + 1);
                bytes.splice(at..at, tok.iter().copied());
            }
            6 => {
                // Splice with another query.
                let other = corpus[rng.below(corpus.len())].as_bytes();
                let cut = rng.below(bytes.len() + 1);
                let from = rng.below(other.len() + 1);
                bytes.truncate(cut);
                bytes.extend_from_slice(&other[from..]);
            }
            _ => {
                // Nest: wrap a position in many brackets.
                let (open, close) = [("(", ")"), ("[", "]"), ("{a:", "}"), ("-", "")][rng.below(4)];
                let n = 1 + rng.below(700);
                let at = rng.below(bytes.len() + 1);
                let mut out = bytes[..at].to_vec();
                out.extend(open.repeat(n).bytes());
                out.extend_from_slice(&bytes[at..]);
                out.extend(close.repeat(n).bytes());
                bytes = out;
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Check one parse result: errors must point inside the input; a parsed
/// statement must print to text that `parse` turns into an equal tree.
fn check_with(
    q: &str,
    parse: fn(&str) -> Result<cypher::ast::Statement, cypher::CypherError>,
) -> Result<bool, String> {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let parsed = parse(q);
        let round_trip = parsed.as_ref().ok().map(|ast| {
            let printed = ast.to_string();
            (printed.clone(), parse(&printed).map(|again| again == *ast))
        });
        (parsed.map(|_| ()), round_trip)
    }));
    let (parsed, round_trip) = outcome.map_err(|_| "panicked".to_string())?;
    match parsed {
        Err(e) => {
            let s = e.as_syntax().ok_or("not a syntax error")?;
            if s.offset > q.len() || !q.is_char_boundary(s.offset) || s.line == 0 || s.column == 0 {
                return Err(format!("error position out of range: {s:?}"));
            }
            if e.status_code() != "Neo.ClientError.Statement.SyntaxError" {
                return Err("wrong status code".into());
            }
            Ok(false)
        }
        Ok(()) => match round_trip {
            Some((_, Ok(true))) => Ok(true),
            Some((printed, Ok(false))) => Err(format!("reparsed differently: {printed}")),
            Some((printed, Err(e))) => Err(format!("printed form fails: {printed}\n  {e}")),
            None => Err("no round trip".into()),
        },
    }
}

/// Both the grammar alone and full validation must hold the invariants.
fn check(q: &str) -> Result<(bool, bool), String> {
    let syntax = check_with(q, cypher::parse_syntax_only).map_err(|e| format!("syntax: {e}"))?;
    let valid = check_with(q, cypher::parse).map_err(|e| format!("validated: {e}"))?;
    if valid && !syntax {
        return Err("validated parse succeeded where the grammar failed".into());
    }
    Ok((syntax, valid))
}

#[test]
fn mutated_queries_never_panic() {
    let mut corpus: Vec<String> = load_tck_queries()
        .map(|qs| qs.into_iter().map(|q| q.query).collect())
        .unwrap_or_default();
    corpus.sort();
    corpus.dedup();
    corpus.extend(SEEDS.iter().map(|s| (*s).to_string()));

    // Silence the default panic printer while fuzzing; failures are
    // collected and reported below.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));

    let mut rng = Rng(env_or("CYPHER_FUZZ_SEED", SEED));
    let mut failures = Vec::new();
    let mut parsed = 0;
    let mut validated = 0;
    let mut inputs: Vec<String> = (0..env_or("CYPHER_FUZZ_MUTATIONS", MUTATIONS))
        .map(|_| mutate(&mut rng, &corpus))
        .collect();
    for open in [
        "(",
        "[",
        "{a:",
        "-",
        "NOT ",
        "[x IN ",
        "exists { MATCH (n) WHERE ",
    ] {
        inputs.push(format!("RETURN {}", open.repeat(100_000)));
    }
    inputs.push(format!("MATCH {}", "(".repeat(100_000)));
    for q in &inputs {
        match check(q) {
            Ok((syntax, valid)) => {
                parsed += usize::from(syntax);
                validated += usize::from(valid);
            }
            Err(why) => failures.push(format!("{why}\n  input: {q:?}")),
        }
    }
    std::panic::set_hook(hook);

    eprintln!(
        "fuzz: {} inputs, {parsed} parse and round-trip, {validated} of them also validate, \
         {} invariant violations",
        inputs.len(),
        failures.len()
    );
    for f in failures.iter().take(20) {
        eprintln!("FAILURE: {}\n", f.chars().take(600).collect::<String>());
    }
    assert!(failures.is_empty(), "{} fuzz failures", failures.len());
}
