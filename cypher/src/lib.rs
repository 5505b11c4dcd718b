#![doc = include_str!("../README.md")]

pub mod ast;
mod check;
mod display;
pub mod engine;
pub mod error;
mod exec;
pub mod functions;
mod keywords;
pub mod lexer;
mod parser;
mod plan;
pub mod security;
mod semantic;
mod span;
pub mod temporal;
pub mod value;

pub use engine::{
    execute, execute_in, execute_on, NodeView, Params, PlanDescription, PlanOperator, Procedures,
    QueryOptions, QueryOutput, RelationshipView, TableProcedure,
};
pub use error::{
    CypherError, ErrorDetail, QueryError, QueryErrorKind, SyntaxError, SYNTAX_ERROR_STATUS,
};
pub use exec::{DeletedEntity, UpdateStats};
pub use keywords::{is_reserved, RESERVED};
pub use parser::MAX_DEPTH;
pub use span::Span;
pub use value::{CypherValue, Path};

/// Run `f`, first moving to a fresh heap-allocated stack segment if the
/// current stack is nearly used up. Every recursive walk of the parser,
/// the checks and the printer goes through this, so deeply nested input
/// cannot overflow the caller's stack.
pub(crate) fn with_stack<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(128 * 1024, 4 * 1024 * 1024, f)
}

/// Parse one Cypher statement (an optional `EXPLAIN`/`PROFILE`, a query,
/// an optional trailing `;`) and [`validate`] it.
pub fn parse(query: &str) -> Result<ast::Statement, CypherError> {
    let statement = parse_syntax_only(query)?;
    validate(query, &statement)?;
    Ok(statement)
}

/// Parse without validation: only the grammar is enforced.
pub fn parse_syntax_only(query: &str) -> Result<ast::Statement, CypherError> {
    Ok(parser::parse_statement(query)?)
}

/// The compile-time checks that need no database: variable scoping
/// (`UndefinedVariable`, `VariableAlreadyBound`, `VariableTypeConflict`,
/// `NoVariablesInScope`), type errors certain from literals and pattern
/// variables (`InvalidArgumentType`), clause composition, CREATE/MERGE
/// pattern rules, SKIP/LIMIT constants, projection aliases and column
/// names, and the placement of aggregation. `query` is the text
/// `statement` was parsed from (errors point into it).
pub fn validate(query: &str, statement: &ast::Statement) -> Result<(), CypherError> {
    semantic::analyze_statement(query, statement)?;
    check::check_statement(query, statement)?;
    Ok(())
}
