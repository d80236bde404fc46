//! Core's rules for the messages a header-only node does not otherwise use, where Core
//! disconnects: `ProcessMessage`, `ProcessAddrs` and `PrepareBlockFilterRequest` in
//! `net_processing.cpp`.

use super::super::disconnect::DisconnectReason;
use super::super::ids::PeerId;
use super::super::node::Node;
use crate::config::{ADDR_ENTRIES_MAX, INV_ENTRIES_MAX};
use crate::wire::NetworkMessage;

impl Node {
    /// Core's rules for messages a header-only node does not use, where Core disconnects
    /// (`ProcessMessage`, `ProcessAddrs`, `PrepareBlockFilterRequest` in `net_processing.cpp`):
    /// oversized `getdata`, `addr` and `addrv2`; bloom-filter messages and `mempool` without
    /// `NODE_BLOOM`; compact-filter requests without `NODE_COMPACT_FILTERS`. The rest is
    /// ignored.
    pub(in crate::protocol) fn core_on_other_message(
        &mut self,
        peer: PeerId,
        message: NetworkMessage,
        now_ms: u64,
    ) {
        let reason = match &message {
            NetworkMessage::GetData(items) if items.len() > INV_ENTRIES_MAX => {
                DisconnectReason::TooManyInventory {
                    command: "getdata",
                    count: items.len(),
                }
            }
            NetworkMessage::Addr(addrs) if addrs.len() > ADDR_ENTRIES_MAX => {
                DisconnectReason::TooManyAddresses {
                    command: "addr",
                    count: addrs.len(),
                }
            }
            NetworkMessage::AddrV2(addrs) if addrs.len() > ADDR_ENTRIES_MAX => {
                DisconnectReason::TooManyAddresses {
                    command: "addrv2",
                    count: addrs.len(),
                }
            }
            NetworkMessage::GetCFilters(_) => DisconnectReason::NoCompactFilters {
                command: "getcfilters",
            },
            NetworkMessage::GetCFHeaders(_) => DisconnectReason::NoCompactFilters {
                command: "getcfheaders",
            },
            NetworkMessage::GetCFCheckpt(_) => DisconnectReason::NoCompactFilters {
                command: "getcfcheckpt",
            },
            NetworkMessage::FilterClear => DisconnectReason::NoBloomService {
                command: "filterclear",
            },
            // A mempool request from a NoBan peer is ignored, not punished.
            NetworkMessage::MemPool if !self.is_noban(peer) => {
                DisconnectReason::NoBloomService { command: "mempool" }
            }
            other => match other.command().as_ref() {
                "filterload" => DisconnectReason::NoBloomService {
                    command: "filterload",
                },
                "filteradd" => DisconnectReason::NoBloomService {
                    command: "filteradd",
                },
                _ => return,
            },
        };
        match reason {
            DisconnectReason::TooManyInventory { .. }
            | DisconnectReason::TooManyAddresses { .. } => {
                self.core_misbehaving(peer, reason, now_ms)
            }
            _ => self.disconnect(peer, reason, now_ms),
        }
    }
}
