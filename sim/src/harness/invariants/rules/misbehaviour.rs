//! [`MISBEHAVIOUR_COUNTS_HOLD`](super::MISBEHAVIOUR_COUNTS_HOLD): Core punishes a list message
//! for its length only above its limit (`ProcessMessage`: `addr` and `addrv2` above
//! `MAX_ADDR_TO_SEND`, `inv` and `getdata` above `MAX_INV_SZ`), as the reason's own count
//! states, whether the punishment is carried out or, for a manual or NoBan peer, set aside.

use node::protocol::DropReason;
use node::{DisconnectReason, Event, PeerId};

/// Core's largest `addr` and `addrv2` (`MAX_ADDR_TO_SEND`, `net_processing.cpp`).
const ADDR_ENTRIES_MAX: usize = 1_000;
/// Core's largest `inv` and `getdata` (`MAX_INV_SZ`, `net_processing.cpp`).
const INV_ENTRIES_MAX: usize = 50_000;

/// The peer and the reason, when `event` punishes a peer: a disconnect, or the punishment a
/// NoBan or manual peer is spared.
pub(super) fn punished(event: &Event) -> Option<(&PeerId, &DisconnectReason)> {
    match event {
        Event::Disconnected { peer, reason }
        | Event::Dropped {
            peer,
            reason: DropReason::NoBanNotPunished(reason) | DropReason::ManualNotPunished(reason),
        } => Some((peer, reason)),
        _ => None,
    }
}

/// The peer and why, when `event` punishes a list message whose count is within its limit.
pub(super) fn count_breach(event: &Event) -> Option<(&PeerId, String)> {
    let (peer, reason) = punished(event)?;
    let (command, count, max) = match reason {
        DisconnectReason::TooManyAddresses { command, count } => {
            (command, *count, ADDR_ENTRIES_MAX)
        }
        DisconnectReason::TooManyInventory { command, count } => (command, *count, INV_ENTRIES_MAX),
        _ => return None,
    };
    (count <= max).then(|| {
        (
            peer,
            format!("punished for a {command} of {count} entries, within Core's {max}"),
        )
    })
}
