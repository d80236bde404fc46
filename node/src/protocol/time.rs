//! Time on the node's clock: every protocol time is whole milliseconds (`u64`) passed in by the
//! caller, and settings hold `Duration`s, converted with [`ms`]. A leaf: it imports nothing from
//! the crate.

/// A `Duration` as whole milliseconds.
pub fn ms(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
