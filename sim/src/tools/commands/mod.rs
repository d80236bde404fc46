//! What each `sim` command does once its arguments are parsed: runs the library, prints what
//! the command prints and returns its exit code. `sim`'s `main.rs` only parses the command line
//! (clap) and calls these.

mod bench;
mod determinism;
mod explore;
mod names;
mod record;
mod run;
mod serve;
mod shrink;
mod suite;

pub use bench::{bench, bench_sync};
pub use determinism::check_determinism;
pub use explore::explore;
pub use record::record;
pub use run::run_one;
pub use serve::serve;
pub use shrink::shrink;
pub use suite::suite;
