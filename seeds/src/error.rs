//! The error type of the generator.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong while generating a population.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SeedsError {
    /// The output directory could not be created.
    #[error("cannot create output directory {path}: {source}")]
    CreateDir {
        /// The directory that was being created.
        path: PathBuf,
        /// The underlying I/O error.
        source: io::Error,
    },
    /// An output file could not be created (or truncated).
    #[error("cannot create output file {path}: {source}")]
    CreateFile {
        /// The file that was being created.
        path: PathBuf,
        /// The underlying I/O error.
        source: io::Error,
    },
    /// Writing to, or flushing, an output file failed.
    #[error("cannot write output file {path}: {source}")]
    Write {
        /// The file that was being written.
        path: PathBuf,
        /// The underlying I/O error.
        source: io::Error,
    },
    /// A resource type ended up with no resources, and its (empty) file could
    /// not be removed.
    #[error("cannot remove empty output file {path}: {source}")]
    RemoveFile {
        /// The empty file that was being removed.
        path: PathBuf,
        /// The underlying I/O error.
        source: io::Error,
    },
    /// More patients were requested than the identifier scheme supports.
    #[error("{requested} patients requested; at most {max} are supported")]
    TooManyPatients {
        /// The number of patients asked for.
        requested: u64,
        /// The largest supported number of patients.
        max: u64,
    },
}
