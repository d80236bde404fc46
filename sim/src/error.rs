//! Errors of the harness itself ([`SimError`]): unreadable or invalid scenario files, chain
//! fixtures, the node's data folder, turmoil. The node's misbehaviour is no error of the
//! harness: it shows up as failed expectations and invariants.

/// Errors of the harness itself (not of the node under test, whose misbehaviour shows up as
/// failed expectations).
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A scenario file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A scenario file is not valid: names the file, the field path and the problem.
    #[error("{path}: {field}: {message}")]
    Scenario {
        /// The file.
        path: String,
        /// Path of the offending field (`peers[0].behaviour`), or `-` for the whole file.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A chain fixture could not be built.
    #[error("chain fixture: {0}")]
    Fixture(String),
    /// The node's data folder could not be prepared or read.
    #[error("node data folder: {0}")]
    Datadir(String),
    /// turmoil reported a failure (a host's software returned an error or panicked).
    #[error("simulation: {0}")]
    Simulation(String),
}
