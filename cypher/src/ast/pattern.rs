//! Graph patterns.

use super::{Expr, Ident, Span};

/// One comma-separated part of a pattern, optionally a named path:
/// `p = (a)-[r]->(b)`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternPart {
    /// The path variable, `p` in `p = ...`.
    pub variable: Option<Ident>,
    /// The path pattern.
    pub element: PatternElement,
    /// Where it was written.
    pub span: Span,
}

/// Whether a pattern is wrapped in a shortest-path function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShortestPath {
    /// `shortestPath(...)`
    Single,
    /// `allShortestPaths(...)`
    All,
}

/// A chain of alternating nodes and relationships: `(a)-[r]->(b)<--(c)`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternElement {
    /// `shortestPath(...)` / `allShortestPaths(...)` wrapper, if any.
    pub shortest: Option<ShortestPath>,
    /// The first node.
    pub start: NodePattern,
    /// Each following relationship and node.
    pub steps: Vec<PatternStep>,
    /// Where it was written.
    pub span: Span,
}

impl PatternElement {
    /// All node patterns, in order.
    pub fn nodes(&self) -> impl Iterator<Item = &NodePattern> {
        std::iter::once(&self.start).chain(self.steps.iter().map(|s| &s.node))
    }

    /// All relationship patterns, in order.
    pub fn relationships(&self) -> impl Iterator<Item = &RelationshipPattern> {
        self.steps.iter().map(|s| &s.relationship)
    }
}

/// A relationship followed by the node it leads to.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternStep {
    /// The relationship.
    pub relationship: RelationshipPattern,
    /// The node.
    pub node: NodePattern,
}

/// `(var:Label:Other {k: v})`.
#[derive(Debug, Clone, PartialEq)]
pub struct NodePattern {
    /// The variable.
    pub variable: Option<Ident>,
    /// Labels, all required.
    pub labels: Vec<String>,
    /// A property map literal or a parameter.
    pub properties: Option<Box<Expr>>,
    /// Where it was written.
    pub span: Span,
}

/// Which way a relationship pattern points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `-[]->`
    Outgoing,
    /// `<-[]-`
    Incoming,
    /// `-[]-`
    Undirected,
    /// `<-[]->` (either direction)
    Both,
}

/// `-[var:A|B *1..3 {k: v}]->`.
#[derive(Debug, Clone, PartialEq)]
pub struct RelationshipPattern {
    /// The direction.
    pub direction: Direction,
    /// The variable.
    pub variable: Option<Ident>,
    /// Type alternatives (`:A|B`); empty means any type.
    pub types: Vec<String>,
    /// Variable length `*min..max`, if given.
    pub length: Option<VarLength>,
    /// A property map literal or a parameter.
    pub properties: Option<Box<Expr>>,
    /// Where it was written.
    pub span: Span,
}

/// The bounds of a variable-length relationship: `*` (none),
/// `*2` (`min == max == 2`), `*1..3`, `*..3`, `*2..`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VarLength {
    /// Lower bound (default 1).
    pub min: Option<u64>,
    /// Upper bound (default unbounded).
    pub max: Option<u64>,
}
