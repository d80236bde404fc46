//! [`Output`]: what the node asks the runtime to do, drained in order with
//! [`Node::poll_output`](crate::protocol::Node::poll_output).

use super::connection_manager::Ban;
use super::disconnect::DisconnectReason;
use super::events::Event;
use super::header_chain::ChainUpdate;
use super::ids::{PeerId, TargetId};
use crate::wire::NetworkMessage;

/// What the node wants the runtime to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Write this message to the peer.
    Send {
        /// The connection.
        peer: PeerId,
        /// The message.
        message: NetworkMessage,
    },
    /// Close the connection after writing what is queued for it.
    Disconnect {
        /// The connection.
        peer: PeerId,
        /// Why.
        reason: DisconnectReason,
    },
    /// Open a connection to `addr` and report it with
    /// [`Node::handle_connected`](crate::protocol::Node::handle_connected) (with
    /// [`Direction::Outbound`](crate::protocol::Direction::Outbound) and this target) or
    /// [`Node::handle_dial_failed`](crate::protocol::Node::handle_dial_failed).
    Dial {
        /// The connection-manager target.
        target: TargetId,
        /// Where to connect.
        addr: String,
    },
    /// Persist this best-chain change in one store transaction before anything else.
    Persist(ChainUpdate),
    /// Core: store this manual ban (Core's `BanMan::Ban` writes `banlist.json` at once), so
    /// that [`Node::with_bans`](crate::protocol::Node::with_bans) gets it back after a
    /// restart.
    PersistBan(Ban),
    /// Record this event.
    Event(Event),
}
