//! Errors reported by the Cypher front end.

use std::fmt;

use crate::span::Span;

/// The Neo4j status code of every syntax error.
pub const SYNTAX_ERROR_STATUS: &str = "Neo.ClientError.Statement.SyntaxError";

/// Any error the Cypher front end reports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CypherError {
    /// The query is not valid Cypher (a compile-time `SyntaxError` in TCK
    /// terms).
    #[error("{0}")]
    Syntax(Box<SyntaxError>),
}

impl CypherError {
    /// The Neo4j status code, e.g. `Neo.ClientError.Statement.SyntaxError`.
    pub fn status_code(&self) -> &'static str {
        match self {
            CypherError::Syntax(_) => SYNTAX_ERROR_STATUS,
        }
    }

    /// The TCK detail code (e.g. `"InvalidRelationshipPattern"`), if one
    /// applies.
    pub fn detail(&self) -> Option<ErrorDetail> {
        match self {
            CypherError::Syntax(e) => e.detail,
        }
    }

    /// The syntax error, if this is one.
    pub fn as_syntax(&self) -> Option<&SyntaxError> {
        match self {
            CypherError::Syntax(e) => Some(e),
        }
    }

    /// Byte offset into the query the error points at.
    pub fn offset(&self) -> usize {
        match self {
            CypherError::Syntax(e) => e.offset,
        }
    }
}

/// A syntax error with its position in the query text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// What was expected and what was found.
    pub message: String,
    /// Byte offset of the offending input (at most the query length).
    pub offset: usize,
    /// 1-based line of `offset`.
    pub line: usize,
    /// 1-based column (in characters) of `offset`.
    pub column: usize,
    /// The TCK detail code, where one applies.
    pub detail: Option<ErrorDetail>,
}

impl SyntaxError {
    /// Build an error at `offset` of `source`.
    pub fn new(
        source: &str,
        offset: usize,
        message: impl Into<String>,
        detail: Option<ErrorDetail>,
    ) -> Self {
        let offset = offset.min(source.len());
        let (line, column) = Span::line_column(source, offset);
        Self {
            message: message.into(),
            offset,
            line,
            column,
            detail,
        }
    }

    /// The Neo4j status code of syntax errors.
    pub fn status_code(&self) -> &'static str {
        SYNTAX_ERROR_STATUS
    }
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (line {}, column {} (offset: {}))",
            self.message, self.line, self.column, self.offset
        )
    }
}

impl From<SyntaxError> for CypherError {
    fn from(e: SyntaxError) -> Self {
        CypherError::Syntax(Box::new(e))
    }
}

macro_rules! details {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        /// The compile-time error detail codes used by the openCypher TCK
        /// (`Then a SyntaxError should be raised at compile time: <detail>`).
        ///
        /// The parser reports those it can detect from the text alone; the
        /// rest are listed for later stages (semantic analysis, planning).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorDetail {
            $($(#[$doc])* $name,)*
        }

        impl ErrorDetail {
            /// Every detail code.
            pub const ALL: &'static [ErrorDetail] = &[$(ErrorDetail::$name,)*];

            /// The detail name exactly as the TCK spells it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorDetail::$name => stringify!($name),)*
                }
            }

            /// Look a detail up by its TCK name.
            pub fn from_name(name: &str) -> Option<ErrorDetail> {
                match name {
                    $(stringify!($name) => Some(ErrorDetail::$name),)*
                    _ => None,
                }
            }
        }
    };
}

details! {
    /// Input that does not fit the grammar.
    UnexpectedSyntax,
    /// Malformed relationship pattern, e.g. `-[:T..]->` or `*-2`.
    InvalidRelationshipPattern,
    /// Malformed number, e.g. `0x` or `12a`.
    InvalidNumberLiteral,
    /// Integer literal outside the 64-bit signed range.
    IntegerOverflow,
    /// Float literal too large to represent.
    FloatingPointOverflow,
    /// Malformed `\u` escape in a string.
    InvalidUnicodeLiteral,
    /// A Unicode look-alike of an operator character (e.g. an em dash).
    InvalidUnicodeCharacter,
    /// A non-constant expression where a constant is required (SKIP/LIMIT).
    NonConstantExpression,
    /// A negative integer where a non-negative one is required.
    NegativeIntegerArgument,
    /// A parameter where none is allowed (e.g. `MATCH (n $param)`).
    InvalidParameterUse,
    /// A variable used as two different kinds of entity.
    VariableTypeConflict,
    /// A variable bound twice where that is not allowed.
    VariableAlreadyBound,
    /// A variable used but never bound.
    UndefinedVariable,
    /// An argument of the wrong type.
    InvalidArgumentType,
    /// Aggregation used where it is not allowed.
    InvalidAggregation,
    /// Aggregation inside aggregation.
    NestedAggregation,
    /// Grouping keys and aggregates mixed ambiguously.
    AmbiguousAggregationExpression,
    /// A relationship to create or merge without exactly one type.
    NoSingleRelationshipType,
    /// A relationship to create or merge without a direction.
    RequiresDirectedRelationship,
    /// A variable-length relationship in CREATE or MERGE.
    CreatingVarLength,
    /// DELETE of a label or relationship type expression.
    InvalidDelete,
    /// Clauses combined in a way that is not allowed.
    InvalidClauseComposition,
    /// UNION parts returning different columns.
    DifferentColumnsInUnion,
    /// Two columns with the same name.
    ColumnNameConflict,
    /// An expression in WITH without `AS` alias.
    NoExpressionAlias,
    /// `RETURN *` / `WITH *` with no variables in scope.
    NoVariablesInScope,
    /// The same relationship variable twice in one pattern.
    RelationshipUniquenessViolation,
    /// A call to a function that does not exist.
    UnknownFunction,
    /// Wrong number of arguments to a function or procedure.
    InvalidNumberOfArguments,
    /// In-query procedure call without an explicit argument list.
    InvalidArgumentPassingMode,
    /// A procedure that does not exist.
    ProcedureNotFound,
    /// A parameter the query uses but was not given.
    MissingParameter,
}

impl fmt::Display for ErrorDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
