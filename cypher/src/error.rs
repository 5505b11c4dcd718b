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
    /// A semantic, type, argument or runtime error (anything but syntax).
    #[error("{0}")]
    Query(Box<QueryError>),
}

impl CypherError {
    /// The Neo4j status code, e.g. `Neo.ClientError.Statement.SyntaxError`.
    pub fn status_code(&self) -> &'static str {
        match self {
            CypherError::Syntax(_) => SYNTAX_ERROR_STATUS,
            CypherError::Query(e) => e.kind.status_code(),
        }
    }

    /// The TCK detail code (e.g. `"InvalidRelationshipPattern"`), if one
    /// applies.
    pub fn detail(&self) -> Option<ErrorDetail> {
        match self {
            CypherError::Syntax(e) => e.detail,
            CypherError::Query(e) => e.detail,
        }
    }

    /// The syntax error, if this is one.
    pub fn as_syntax(&self) -> Option<&SyntaxError> {
        match self {
            CypherError::Syntax(e) => Some(e),
            CypherError::Query(_) => None,
        }
    }

    /// Byte offset into the query the error points at.
    pub fn offset(&self) -> usize {
        match self {
            CypherError::Syntax(e) => e.offset,
            CypherError::Query(e) => e.offset.unwrap_or(0),
        }
    }

    /// The query error, if this is not a syntax error.
    pub fn as_query(&self) -> Option<&QueryError> {
        match self {
            CypherError::Query(e) => Some(e),
            CypherError::Syntax(_) => None,
        }
    }

    /// The error class the TCK names (`SyntaxError`, `TypeError`, ...).
    pub fn tck_type(&self) -> &'static str {
        match self {
            CypherError::Syntax(_) => "SyntaxError",
            CypherError::Query(e) => e.kind.tck_name(),
        }
    }

    /// `true` when raised before the query touched any data.
    pub fn is_compile_time(&self) -> bool {
        match self {
            CypherError::Syntax(_) => true,
            CypherError::Query(e) => e.compile_time,
        }
    }
}

/// What kind of error a [`QueryError`] is; each kind has one Neo4j status
/// code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum QueryErrorKind {
    /// A syntax-class error found after parsing (e.g. a variable type
    /// conflict found while planning).
    Syntax,
    /// A value of the wrong type.
    TypeError,
    /// An argument of the right type but an unusable value.
    ArgumentError,
    /// Integer overflow or division by zero.
    ArithmeticError,
    /// A deleted or missing node or relationship.
    EntityNotFound,
    /// A query that is well-formed but means nothing (e.g. MERGE reading
    /// its own writes).
    SemanticError,
    /// A parameter the query uses was not given.
    ParameterMissing,
    /// A constraint the change would break (e.g. deleting a connected node).
    ConstraintVerificationFailed,
    /// A unique-key violation.
    ConstraintValidationFailed,
    /// A procedure that does not exist or failed.
    ProcedureError,
    /// A write in a read-only transaction.
    AccessMode,
    /// The query ran past its time limit.
    Timeout,
    /// The query went over its row or memory budget.
    MemoryLimit,
    /// The caller cancelled the query.
    Cancelled,
    /// The store failed (I/O, corruption).
    Storage,
    /// The access policy refused the query (a write outside the caller's
    /// scope).
    Forbidden,
}

impl QueryErrorKind {
    /// The Neo4j status code.
    pub fn status_code(self) -> &'static str {
        match self {
            QueryErrorKind::Syntax => SYNTAX_ERROR_STATUS,
            QueryErrorKind::TypeError => "Neo.ClientError.Statement.TypeError",
            QueryErrorKind::ArgumentError => "Neo.ClientError.Statement.ArgumentError",
            QueryErrorKind::ArithmeticError => "Neo.ClientError.Statement.ArithmeticError",
            QueryErrorKind::EntityNotFound => "Neo.ClientError.Statement.EntityNotFound",
            QueryErrorKind::SemanticError => "Neo.ClientError.Statement.SemanticError",
            QueryErrorKind::ParameterMissing => "Neo.ClientError.Statement.ParameterMissing",
            QueryErrorKind::ConstraintVerificationFailed => {
                "Neo.ClientError.Schema.ConstraintVerificationFailed"
            }
            QueryErrorKind::ConstraintValidationFailed => {
                "Neo.ClientError.Schema.ConstraintValidationFailed"
            }
            QueryErrorKind::ProcedureError => "Neo.ClientError.Procedure.ProcedureNotFound",
            QueryErrorKind::AccessMode => "Neo.ClientError.Statement.AccessMode",
            QueryErrorKind::Timeout => "Neo.ClientError.Transaction.TransactionTimedOut",
            QueryErrorKind::MemoryLimit => "Neo.TransientError.General.MemoryPoolOutOfMemoryError",
            QueryErrorKind::Cancelled => "Neo.TransientError.Transaction.Terminated",
            QueryErrorKind::Storage => "Neo.DatabaseError.General.UnknownError",
            QueryErrorKind::Forbidden => "Neo.ClientError.Security.Forbidden",
        }
    }

    /// The error class as the TCK names it.
    pub fn tck_name(self) -> &'static str {
        match self {
            QueryErrorKind::Syntax => "SyntaxError",
            QueryErrorKind::TypeError => "TypeError",
            QueryErrorKind::ArgumentError => "ArgumentError",
            QueryErrorKind::ArithmeticError => "ArithmeticError",
            QueryErrorKind::EntityNotFound => "EntityNotFound",
            QueryErrorKind::SemanticError => "SemanticError",
            QueryErrorKind::ParameterMissing => "ParameterMissing",
            QueryErrorKind::ConstraintVerificationFailed => "ConstraintVerificationFailed",
            QueryErrorKind::ConstraintValidationFailed => "ConstraintValidationFailed",
            QueryErrorKind::ProcedureError => "ProcedureError",
            QueryErrorKind::AccessMode => "AccessMode",
            QueryErrorKind::Timeout => "Timeout",
            QueryErrorKind::MemoryLimit => "MemoryLimit",
            QueryErrorKind::Cancelled => "Cancelled",
            QueryErrorKind::Storage => "Storage",
            QueryErrorKind::Forbidden => "Forbidden",
        }
    }
}

/// An error other than a syntax error: what kind, the TCK detail where one
/// applies, where in the query (when known) and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    /// The kind, which fixes the status code.
    pub kind: QueryErrorKind,
    /// The TCK detail code, where one applies.
    pub detail: Option<ErrorDetail>,
    /// What went wrong.
    pub message: String,
    /// Byte offset in the query of the expression at fault, when known.
    pub offset: Option<usize>,
    /// `true` when found before execution started.
    pub compile_time: bool,
}

impl QueryError {
    /// A runtime error.
    pub fn new(
        kind: QueryErrorKind,
        detail: Option<ErrorDetail>,
        message: impl Into<String>,
    ) -> Self {
        QueryError {
            kind,
            detail,
            message: message.into(),
            offset: None,
            compile_time: false,
        }
    }

    /// A runtime `TypeError`.
    pub fn type_error(detail: ErrorDetail, message: impl Into<String>) -> Self {
        Self::new(QueryErrorKind::TypeError, Some(detail), message)
    }

    /// A runtime `ArgumentError`.
    pub fn argument_error(detail: ErrorDetail, message: impl Into<String>) -> Self {
        Self::new(QueryErrorKind::ArgumentError, Some(detail), message)
    }

    /// A runtime `ArithmeticError`.
    pub fn arithmetic(detail: ErrorDetail, message: impl Into<String>) -> Self {
        Self::new(QueryErrorKind::ArithmeticError, Some(detail), message)
    }

    /// Marks the error as found at compile time.
    #[must_use]
    pub fn at_compile_time(mut self) -> Self {
        self.compile_time = true;
        self
    }

    /// Sets the offset, unless one is set already.
    #[must_use]
    pub fn at(mut self, offset: usize) -> Self {
        self.offset.get_or_insert(offset);
        self
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)?;
        if let Some(offset) = self.offset {
            write!(f, " (offset: {offset})")?;
        }
        Ok(())
    }
}

impl From<QueryError> for CypherError {
    fn from(e: QueryError) -> Self {
        CypherError::Query(Box::new(e))
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
    /// An argument of the right type but an unusable value.
    InvalidArgumentValue,
    /// A number outside the range an operation accepts.
    NumberOutOfRange,
    /// Reading a node or relationship deleted earlier in the query.
    DeletedEntityAccess,
    /// `map[key]` with a key that is not a string.
    MapElementAccessByNonString,
    /// `list[index]` with an index that is not an integer.
    ListElementAccessByNonInteger,
    /// `expr[...]` on a value that is neither a list nor a map.
    InvalidElementAccess,
    /// A property value of a type that cannot be stored.
    InvalidPropertyType,
    /// MERGE reading a variable that a SET of the same MERGE wrote.
    MergeReadOwnWrites,
    /// DELETE of a node that still has relationships.
    DeleteConnectedNode,
    /// Division or modulo of integers by zero.
    DivisionByZero,
    /// Integer arithmetic that does not fit 64 bits.
    ArithmeticOverflow,
}

impl fmt::Display for ErrorDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
