//! The `sim` command's tools built on the harness: exploring generated scenarios, shrinking a
//! failing one, checking determinism across processes, recording a live session, importing Bitcoin Core's message captures, the HTML
//! report, and the benchmarks.

pub mod bench;
pub mod capture;
pub mod commands;
pub mod conform;
pub mod determinism;
pub mod draw;
pub mod explore;
pub mod generator;
pub mod reach;
pub mod record;
pub mod report;
pub mod shrink;
pub mod wire_fuzz;
