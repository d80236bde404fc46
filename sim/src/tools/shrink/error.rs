//! Errors of [`shrink`](super::shrink) and [`write_scenario`](super::write_scenario).

use crate::error::SimError;

/// Errors of [`shrink`](super::shrink) and [`write_scenario`](super::write_scenario).
#[derive(Debug, thiserror::Error)]
pub enum ShrinkError {
    /// The original passes every check: there is no failure to keep.
    #[error("{name} passes; nothing to shrink")]
    Passes {
        /// The original's name.
        name: String,
    },
    /// The original's run stopped with a harness error instead of failing a check.
    #[error("{name}: the run ended with a harness error, not a failed check, so there is no failure to keep: {error}")]
    Harness {
        /// The original's name.
        name: String,
        /// The error.
        error: SimError,
    },
    /// The original's run panicked.
    #[error("{name}: the run panicked ({message}), so there is no failed check to keep")]
    Panicked {
        /// The original's name.
        name: String,
        /// The panic's message.
        message: String,
    },
    /// The scenario could not be written as JSON.
    #[error("scenario JSON: {0}")]
    Serialize(String),
    /// The output file exists and overwriting was not asked for.
    #[error("{path} exists; pass --force to overwrite it, or --name to choose another name")]
    Exists {
        /// The file.
        path: String,
    },
    /// The output folder or file could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}
