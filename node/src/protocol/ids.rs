//! The node-local identifiers the protocol modules share: [`PeerId`] for one connection and
//! [`TargetId`] for one outbound target or automatic request slot. A leaf: it imports nothing
//! from the crate, so `peer`, `connection_manager` and `sync_manager` use it without importing
//! each other.

/// Node-local identifier of one connection. A redialled peer gets a new id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PeerId(pub u64);

impl std::fmt::Display for PeerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Index of a configured outbound target or an automatic request slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TargetId(pub usize);
