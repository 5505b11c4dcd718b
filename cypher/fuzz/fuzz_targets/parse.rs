//! `cargo +nightly fuzz run parse`: the parser must never panic, errors
//! must point inside the input, and whatever parses must print back to
//! Cypher that parses to the same tree.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    match cypher::parse(query) {
        Ok(ast) => {
            let printed = ast.to_string();
            match cypher::parse(&printed) {
                Ok(again) => assert_eq!(again, ast, "round trip changed the tree: {printed}"),
                Err(e) => panic!("printed query does not parse: {printed}\n{e}"),
            }
        }
        Err(e) => {
            assert!(e.offset() <= query.len());
            assert!(query.is_char_boundary(e.offset()));
        }
    }
});
