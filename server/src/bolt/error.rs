//! What can go wrong on a Bolt connection, and the Neo4j status codes the
//! server answers with.

/// A malformed request.
pub const REQUEST_INVALID: &str = "Neo.ClientError.Request.Invalid";
/// A message that is not allowed in the session's state.
pub const INVALID_STATE: &str = "Neo.ClientError.Request.Invalid";
/// Credentials refused.
pub const UNAUTHORIZED: &str = "Neo.ClientError.Security.Unauthorized";
/// A principal over its rate limit.
pub const RESOURCE_EXHAUSTION: &str = "Neo.TransientError.Request.ResourceExhaustion";
/// A database other than the one this server has.
pub const DATABASE_NOT_FOUND: &str = "Neo.ClientError.Database.DatabaseNotFound";
/// A transaction past its time limit.
pub const TRANSACTION_TIMED_OUT: &str = "Neo.ClientError.Transaction.TransactionTimedOut";
/// A transaction that can no longer be used (it failed or timed out).
pub const TRANSACTION_TERMINATED: &str = "Neo.ClientError.Transaction.TransactionTerminated";
/// A commit the store refused.
pub const COMMIT_FAILED: &str = "Neo.DatabaseError.Transaction.TransactionCommitFailed";
/// A feature this server does not have.
pub const NOT_SUPPORTED: &str = "Neo.ClientError.Statement.FeatureNotSupported";
/// An internal failure.
pub const UNKNOWN_ERROR: &str = "Neo.DatabaseError.General.UnknownError";

/// Bytes that are not valid `PackStream`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackError {
    /// The message ends inside a value.
    #[error("the message ends inside a value at byte {at}")]
    UnexpectedEnd {
        /// Offset of the value.
        at: usize,
    },
    /// A marker byte `PackStream` does not define.
    #[error("unknown PackStream marker 0x{marker:02X} at byte {at}")]
    UnknownMarker {
        /// The byte.
        marker: u8,
        /// Its offset.
        at: usize,
    },
    /// A string that is not UTF-8.
    #[error("the string at byte {at} is not UTF-8")]
    InvalidUtf8 {
        /// Offset of the string.
        at: usize,
    },
    /// A map key that is not a string.
    #[error("the map key at byte {at} is not a string")]
    NonStringKey {
        /// Offset of the key.
        at: usize,
    },
    /// Values nested deeper than the limit.
    #[error("values are nested deeper than {limit} levels")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// Bytes left over after the message's value.
    #[error("{count} bytes follow the message's value")]
    TrailingBytes {
        /// How many.
        count: usize,
    },
}

/// A message that is well-formed `PackStream` but not a valid request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// The message is not a structure.
    #[error("a message must be a PackStream structure")]
    NotAStructure,
    /// A signature this server does not know.
    #[error("unknown message signature 0x{signature:02X}")]
    UnknownSignature {
        /// The signature.
        signature: u8,
    },
    /// A field of the wrong type, or a missing field.
    #[error("message {message}: field `{field}` must be {expected}")]
    BadField {
        /// The message name.
        message: &'static str,
        /// The field.
        field: &'static str,
        /// What it must be.
        expected: &'static str,
    },
}

/// A parameter that is not a Cypher value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    /// Byte arrays have no Cypher value here.
    #[error("parameter `{name}`: byte arrays are not supported")]
    Bytes {
        /// The parameter.
        name: String,
    },
    /// A structure this server does not take as a parameter.
    #[error("parameter `{name}`: {what} values are not supported as parameters")]
    Unsupported {
        /// The parameter.
        name: String,
        /// What was sent.
        what: String,
    },
    /// A temporal structure with bad fields.
    #[error("parameter `{name}`: invalid {what}")]
    Invalid {
        /// The parameter.
        name: String,
        /// Which structure.
        what: &'static str,
    },
}

/// Why reading a message off the connection failed.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The socket failed.
    #[error("connection: {0}")]
    Io(#[from] std::io::Error),
    /// A message bigger than the limit.
    #[error("the message is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
}

/// Why the Bolt server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The address cannot be bound.
    #[error("cannot listen for Bolt on {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The runtime or thread cannot be created.
    #[error("cannot start the Bolt server: {0}")]
    Runtime(std::io::Error),
}
