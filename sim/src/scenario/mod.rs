//! What a run is: the scenario format (JSON files, loaded and validated), the same scenarios
//! built in Rust, and the chain fixtures the fake peers serve. Plain data; nothing here runs
//! a simulation.

mod behaviour;
pub mod builder;
pub mod chain;
mod format;
mod replay;

pub use behaviour::*;
pub use format::*;
pub use replay::*;
