//! Bitcoin Core's header validation as a differential oracle for the node's.
//!
//! The node validates headers with its own code ([`node::protocol::header_chain`]). This crate
//! puts Bitcoin Core's own code beside it: `libbitcoinkernel`, Core's validation engine built
//! from source by the [`bitcoinkernel`](https://docs.rs/bitcoinkernel) crate (version 0.3.2,
//! Core 31.99 master at the time of that release), whose `ChainstateManager::process_block_header`
//! runs Core's `ProcessNewBlockHeaders` / `AcceptBlockHeader` on one header. The tests in
//! `tests/kernel_oracle.rs` feed the same headers to both and compare every verdict.
//!
//! Module map:
//!
//! | module | what | needs the `kernel` feature |
//! |---|---|---|
//! | [`data`] | the real header sets in `../shared/data/` beside the repository, each checked against `SHA256SUMS` (a missing file is an error under `CI=true`, a notice elsewhere) | no |
//! | [`verdict`] | one comparable verdict per header: accepted, or rejected with Core's reject reason and its `BlockValidationResult` class; [`verdict::ours`] derives it from the node's [`node::protocol::header_chain::Import`] | no |
//! | `kernel` | `CoreHeaders`: a fresh `ChainstateManager` in a temporary folder per network, one header at a time, its verdict and best header | yes |
//!
//! The `kernel` feature is off by default: building `libbitcoinkernel` compiles Bitcoin Core's
//! C++ with cmake and Boost (several minutes; `scripts/install-kernel-deps.sh` installs them on
//! Debian, `scripts/test-kernel` runs the oracle tests). Without it this crate has no C++
//! dependency and its oracle tests compile to nothing.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod data;
#[cfg(feature = "kernel")]
pub mod kernel;
pub mod verdict;
