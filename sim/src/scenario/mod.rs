//! What a run is: the scenario format (JSON files, loaded and validated), the same scenarios
//! built in Rust, and the chain fixtures the fake peers serve. Plain data; nothing here runs
//! a simulation.

pub mod builder;
pub mod chain;
mod format;

pub use format::*;
