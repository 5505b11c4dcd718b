//! Errors of the GraphQL layer, each with the `extensions.code` clients
//! switch on.

use std::time::Duration;

/// What went wrong while answering a GraphQL field.
#[derive(Debug, Clone, thiserror::Error)]
pub enum GqlError {
    /// An argument or input value the API cannot use.
    #[error("{0}")]
    BadInput(String),
    /// A mutation names a node that does not exist.
    #[error("{label} `{key}` does not exist")]
    NotFound {
        /// The label.
        label: String,
        /// The key value.
        key: String,
    },
    /// A create would duplicate a key.
    #[error("{0}")]
    Conflict(String),
    /// The request ran out of time.
    #[error("the request took longer than the limit of {0:?} and was stopped")]
    Timeout(Duration),
    /// The query nests deeper than allowed.
    #[error("the query is {depth} levels deep; the limit is {limit}")]
    TooDeep {
        /// The query's depth.
        depth: usize,
        /// The limit.
        limit: usize,
    },
    /// The query could return more than allowed (page sizes multiply).
    #[error("the query's complexity is {complexity} (page sizes multiply nested fields); the limit is {limit}")]
    TooComplex {
        /// The query's complexity.
        complexity: usize,
        /// The limit.
        limit: usize,
    },
    /// The backend refused the generated Cypher or failed running it.
    #[error("{message} ({code})")]
    Backend {
        /// The Neo4j status code.
        code: String,
        /// The message.
        message: String,
    },
    /// A part of the service is not ready or failed to start.
    #[error("{0}")]
    Unavailable(String),
    /// The caller's role does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// A bug or an unexpected state.
    #[error("internal error: {0}")]
    Internal(String),
}

impl GqlError {
    /// The `extensions.code` of the error.
    pub fn code(&self) -> &'static str {
        match self {
            GqlError::BadInput(_) => "BAD_USER_INPUT",
            GqlError::NotFound { .. } => "NOT_FOUND",
            GqlError::Conflict(_) => "CONFLICT",
            GqlError::Timeout(_) => "TIMEOUT",
            GqlError::TooDeep { .. } => "QUERY_TOO_DEEP",
            GqlError::TooComplex { .. } => "QUERY_TOO_COMPLEX",
            GqlError::Unavailable(_) => "UNAVAILABLE",
            GqlError::Forbidden(_) => "FORBIDDEN",
            GqlError::Backend { code, .. }
                if code.contains("ClientError.Statement.AccessMode")
                    || code.contains("ClientError.Security") =>
            {
                "FORBIDDEN"
            }
            // The compiler writes the Cypher: a syntax error is a bug here.
            GqlError::Backend { code, .. }
                if code.starts_with("Neo.ClientError") && !code.contains("SyntaxError") =>
            {
                "BAD_USER_INPUT"
            }
            GqlError::Backend { .. } | GqlError::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }
}

impl async_graphql::ErrorExtensions for GqlError {
    fn extend(&self) -> async_graphql::Error {
        async_graphql::Error::new(self.to_string()).extend_with(|_, extensions| {
            extensions.set("code", self.code());
            if let GqlError::Backend { code, .. } = self {
                extensions.set("cypherCode", code.as_str());
            }
        })
    }
}

impl From<async_graphql::Error> for GqlError {
    fn from(error: async_graphql::Error) -> Self {
        GqlError::BadInput(error.message)
    }
}

impl GqlError {
    /// As a request-level error (for errors found before any field runs).
    pub fn into_server_error(self) -> async_graphql::ServerError {
        use async_graphql::ErrorExtensions as _;
        let mut error = async_graphql::ServerError::new(self.to_string(), None);
        error.extensions = self.extend().extensions;
        error
    }
}

/// A resolver future whose errors carry `extensions.code`.
pub fn resolve<'a, F>(future: F) -> async_graphql::dynamic::FieldFuture<'a>
where
    F: std::future::Future<
            Output = Result<Option<async_graphql::dynamic::FieldValue<'a>>, GqlError>,
        > + Send
        + 'a,
{
    async_graphql::dynamic::FieldFuture::new(async move {
        use async_graphql::ErrorExtensions as _;
        future.await.map_err(|e| e.extend())
    })
}
