//! Coverage-guided fuzz targets over the node's network surface, the scenario loader and the
//! header store (`cargo fuzz`, libFuzzer; docs/fuzzing.md). Each target in `fuzz_targets/` is
//! one line that hands libFuzzer's bytes to a `check` function here, which panics when a
//! property breaks; the seed corpus is written by `examples/seed_corpus.rs`.
//!
//! Module map:
//!
//! | module | target | what |
//! |---|---|---|
//! | [`input`] | all structured ones | the byte format: [`input::Reader`] for the fuzzer's bytes, [`input::Writer`] for seeds |
//! | [`frames`] | `frame_decoding` | any byte stream in any chunks through the frame decoder, each dialect |
//! | [`handling`] | `message_handling` | peers, messages and time driven through the sans-IO `Node` (Core's `process_messages`) |
//! | [`presync`] | `headers_presync` | Core's low-work headers sync fed arbitrary header sequences (Core's `headers_sync_state`, `p2p_headers_presync`) |
//! | `kernel` | `kernel_headers` | a mutated header on a known parent: the node's verdict against libbitcoinkernel's (feature `kernel`) |
//! | [`scenario`] | `scenario_loading` | any text through the scenario JSON loader and its validation |
//! | [`store`] | `store_loading` | a header store file truncated or with bytes flipped, opened and loaded |
//! | [`chains`] | several | the regtest chains the structured targets draw headers from |

pub mod chains;
pub mod frames;
pub mod handling;
pub mod input;
#[cfg(feature = "kernel")]
pub mod kernel;
pub mod presync;
pub mod scenario;
pub mod store;
