//! The abstract syntax tree of an openCypher query.
//!
//! Split by concept: [`expr`] (expressions and literals), [`pattern`]
//! (node/relationship patterns) and [`clause`] (clauses, queries and the
//! top-level [`Statement`]). Every node that errors may point at carries a
//! [`Span`]; spans never take part in equality (see [`Span`]).
//!
//! [`Display`](std::fmt::Display) on any node prints valid Cypher that
//! parses back to an equal tree.

pub mod clause;
pub mod expr;
pub mod pattern;
mod visit;

pub use crate::span::Span;
pub use clause::*;
pub use expr::*;
pub use pattern::*;

/// A name written in the query (variable or alias), with its position.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ident {
    /// The name, unescaped (backticks removed).
    pub name: String,
    /// Where it was written.
    pub span: Span,
}

impl Ident {
    /// A new identifier.
    pub fn new(name: impl Into<String>, span: Span) -> Self {
        Self {
            name: name.into(),
            span,
        }
    }
}
