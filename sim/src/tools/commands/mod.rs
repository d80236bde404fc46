//! What each `sim` command does once its arguments are parsed: runs the library, prints what
//! the command prints and returns its exit code. `sim`'s `main.rs` only parses the command line
//! (clap) and calls these.

mod bench;
mod capture;
mod conform;
mod determinism;
mod explore;
mod names;
mod record;
mod run;
mod serve;
mod shrink;
mod suite;
mod wire_fuzz;

pub use bench::{bench, bench_sync};
pub use capture::{import_capture, ImportCapture};
pub use conform::conform;
pub use determinism::check_determinism;
pub use explore::explore;
pub use record::record;
pub use run::run_one;
pub use serve::serve;
pub use shrink::shrink;
pub use suite::suite;
pub use wire_fuzz::wire_fuzz;

/// A current-thread tokio runtime for the commands that talk real TCP (`record`, `serve`);
/// when it cannot be built, the error is printed and the command's exit code returned.
fn current_thread_runtime() -> Result<tokio::runtime::Runtime, std::process::ExitCode> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| {
            eprintln!("error: {error}");
            std::process::ExitCode::FAILURE
        })
}
