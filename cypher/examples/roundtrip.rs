//! Parse a query given on the command line (or stdin) and print it back.

use std::io::Read;

fn main() {
    let mut query = std::env::args().skip(1).collect::<Vec<_>>().join(" ");
    if query.is_empty() {
        let _ = std::io::stdin().read_to_string(&mut query);
    }
    match cypher::parse(&query) {
        Ok(statement) => println!("{statement}"),
        Err(e) => {
            eprintln!(
                "{} [{}]: {e}",
                e.status_code(),
                e.detail().map_or("-", |d| d.as_str())
            );
            std::process::exit(1);
        }
    }
}
