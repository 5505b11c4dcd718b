//! The errors of the recommender.

use graph_model::ValueType;

/// What can go wrong building a projection, fitting a method or answering.
#[derive(Debug, thiserror::Error)]
pub enum RecommendError {
    /// The row source (a Cypher engine) failed to run a query.
    #[error("query failed: {message} (query: {query})")]
    Source {
        /// The query text.
        query: String,
        /// The backend's message.
        message: String,
    },
    /// A query returned fewer columns than the projection reads.
    #[error("query returned {found} column(s), expected {expected} (query: {query})")]
    Columns {
        /// The query text.
        query: String,
        /// Columns expected.
        expected: usize,
        /// Columns found.
        found: usize,
    },
    /// A column held a value of an unexpected type.
    #[error("column {column} holds a {found} value, expected {expected}")]
    UnexpectedValue {
        /// The column's position.
        column: usize,
        /// What was expected (e.g. "string").
        expected: &'static str,
        /// The type found.
        found: ValueType,
    },
    /// No patient with this id in the projection or the graph.
    #[error("unknown patient {0}")]
    UnknownPatient(String),
    /// No medication with this code in the projection.
    #[error("unknown medication {0}")]
    UnknownMedication(String),
    /// A method name that is not one of [`crate::Method::ALL`].
    #[error("unknown method {name} (one of: {known})")]
    UnknownMethod {
        /// The name given.
        name: String,
        /// The known names, comma-separated.
        known: String,
    },
    /// The method was not fitted by this recommender.
    #[error("method {0} is not fitted in this recommender")]
    MethodNotFitted(&'static str),
    /// A curated table has a malformed line.
    #[error("{table}:{line}: {message}")]
    Table {
        /// The table's file name.
        table: &'static str,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A numerical step failed (e.g. a matrix that is not invertible).
    #[error("{method}: {message}")]
    Numerical {
        /// The method.
        method: &'static str,
        /// What failed.
        message: String,
    },
    /// The data has no prescriptions with a date, so no cutoff exists.
    #[error("no dated prescriptions: the evaluation needs prescriptions with authoredOn")]
    NoPrescriptions,
    /// The evaluation found no patient with both training and test data.
    #[error("no patient has a prescription before the cutoff and a new medication after it")]
    NoEvaluablePatients,
}

/// The result type of this crate.
pub type Result<T, E = RecommendError> = std::result::Result<T, E>;
