//! The node's counterparts: scripted fake btcd and Core peers, and the replay of a recorded
//! real peer. Written against the node's `Network` trait and tokio I/O, so the same code runs
//! inside turmoil and over real TCP.

pub mod fake_peer;
pub mod replay;
