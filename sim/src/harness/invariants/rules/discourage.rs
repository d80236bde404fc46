//! [`PUNISHMENT_BY_CONNECTION`](super::PUNISHMENT_BY_CONNECTION): under Core what a
//! misbehaving peer gets depends on who it is (`net_processing.cpp`
//! `MaybeDiscourageAndDisconnect`): a NoBan peer is not punished ("Not punishing noban
//! peer"), a manual one neither disconnected nor discouraged ("Not punishing manually connected
//! peer"), one from a loopback address disconnected but not discouraged, and any other,
//! inbound or automatic, disconnected with its address discouraged first (`BanMan::Discourage`).
//!
//! Core's `Misbehaving` calls the node makes: more than 2,000 headers, an invalid header, an
//! `inv` or `getdata` over 50,000 entries, an `addr` or `addrv2` over 1,000. The rule's own
//! list of those reasons is [`misbehaviour`].

use node::protocol::DropReason;
use node::{DisconnectReason, Event, PeerId};

/// Who a connection is, as the punishment rule needs it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Who<'h> {
    /// Its host (a name in the simulator, never a loopback address).
    pub(super) host: &'h str,
    /// A NoBan host.
    pub(super) noban: bool,
    /// A manual connection (`-connect`).
    pub(super) manual: bool,
}

/// Whether `reason` is one of Core's `Misbehaving` calls the node makes.
fn misbehaviour(reason: &DisconnectReason) -> bool {
    matches!(
        reason,
        DisconnectReason::TooManyHeaders { .. }
            | DisconnectReason::InvalidHeader(_)
            | DisconnectReason::TooManyInventory { .. }
            | DisconnectReason::TooManyAddresses { .. }
    )
}

/// Whether `host` is a loopback address (Core `CNetAddr::IsLocal`: `127.0.0.0/8`,
/// `0.0.0.0/8`, `::1`), or `localhost`. The rule's own reading, not the node's.
fn loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(v4)) => v4.is_loopback() || v4.octets()[0] == 0,
        Ok(std::net::IpAddr::V6(v6)) => {
            v6.is_loopback()
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| v4.is_loopback() || v4.octets()[0] == 0)
        }
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

/// The rule's state for one run under Core: a discouragement whose disconnect is due next.
#[derive(Debug, Default)]
pub(super) struct Punishments {
    pending: Option<u64>,
}

impl Punishments {
    /// Follows one node event; `who` says who the event's peer is (`None`: not a connection
    /// the rules know). The peer and why, when Core would have punished otherwise.
    pub(super) fn event(
        &mut self,
        event: &Event,
        who: Option<Who<'_>>,
    ) -> Option<(PeerId, String)> {
        let pending = self.pending.take();
        let (peer, why) = match event {
            Event::Discouraged { peer, addr } => {
                self.pending = Some(peer.0);
                let why = match who {
                    _ if pending.is_some() => Some(format!(
                        "discouraged while #{} was still to be disconnected for its misbehaviour",
                        pending.unwrap_or_default()
                    )),
                    Some(w) if w.host != addr => Some(format!(
                        "discouraged {addr}, not the peer's host {}",
                        w.host
                    )),
                    Some(w) if w.noban || w.manual || loopback(w.host) => {
                        Some(format!("discouraged {}", describe(w)))
                    }
                    _ => None,
                };
                (peer, why)
            }
            Event::Disconnected { peer, reason } if misbehaviour(reason) => {
                let why = match who {
                    Some(w) if w.noban || w.manual => Some(format!(
                        "disconnected {} for misbehaviour ({reason}), which Core does not punish",
                        describe(w)
                    )),
                    Some(w) if !loopback(w.host) && pending != Some(peer.0) => Some(format!(
                        "disconnected for misbehaviour ({reason}) without discouraging its address first"
                    )),
                    _ => None,
                };
                (peer, why)
            }
            Event::Dropped {
                peer,
                reason: DropReason::NoBanNotPunished(reason),
            } => {
                let why = who.filter(|w| !w.noban).map(|w| {
                    format!(
                        "set aside {reason} as from a NoBan peer, but {} is not NoBan",
                        w.host
                    )
                });
                (peer, why)
            }
            Event::Dropped {
                peer,
                reason: DropReason::ManualNotPunished(reason),
            } => {
                let why = who.filter(|w| w.noban || !w.manual).map(|w| {
                    format!(
                        "set aside {reason} as from a manual peer, but it is {}",
                        describe(w)
                    )
                });
                (peer, why)
            }
            _ => {
                let id = pending?;
                let why =
                    format!("discouraged the address of #{id} but did not disconnect it next");
                return Some((PeerId(id), why));
            }
        };
        why.map(|why| (*peer, why))
    }
}

/// How the rule words who a peer is.
fn describe(who: Who<'_>) -> String {
    if who.noban {
        format!("the NoBan peer {}", who.host)
    } else if who.manual {
        format!("the manual peer {}", who.host)
    } else if loopback(who.host) {
        format!("the loopback peer {}", who.host)
    } else {
        format!("the automatic or inbound peer {}", who.host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AUTOMATIC: Who<'static> = Who {
        host: "p1",
        noban: false,
        manual: false,
    };

    fn discouraged() -> Event {
        Event::Discouraged {
            peer: PeerId(1),
            addr: "p1".into(),
        }
    }

    fn punished() -> Event {
        Event::Disconnected {
            peer: PeerId(1),
            reason: DisconnectReason::TooManyHeaders { count: 2_001 },
        }
    }

    #[test]
    fn an_automatic_or_inbound_peer_is_discouraged_right_before_its_disconnect() {
        let mut rule = Punishments::default();
        assert!(rule.event(&discouraged(), Some(AUTOMATIC)).is_none());
        assert!(rule.event(&punished(), Some(AUTOMATIC)).is_none());
        // Disconnected without the discouragement.
        assert!(rule.event(&punished(), Some(AUTOMATIC)).is_some());
        // Discouraged and then something else.
        let mut rule = Punishments::default();
        assert!(rule.event(&discouraged(), Some(AUTOMATIC)).is_none());
        let other = Event::SyncPeer { peer: None };
        assert!(rule.event(&other, None).is_some());
        // A disconnect for another reason needs no discouragement.
        let timeout = Event::Disconnected {
            peer: PeerId(1),
            reason: DisconnectReason::DuplicateVersion,
        };
        assert!(Punishments::default()
            .event(&timeout, Some(AUTOMATIC))
            .is_none());
    }

    #[test]
    fn noban_manual_and_loopback_peers_are_spared_as_core_spares_them() {
        let noban = Who {
            noban: true,
            ..AUTOMATIC
        };
        let manual = Who {
            manual: true,
            ..AUTOMATIC
        };
        let local = Who {
            host: "127.0.0.1",
            ..AUTOMATIC
        };
        for who in [noban, manual] {
            assert!(Punishments::default()
                .event(&punished(), Some(who))
                .is_some());
            assert!(Punishments::default()
                .event(&discouraged(), Some(who))
                .is_some());
        }
        // A loopback peer is disconnected without a discouragement, never with one.
        assert!(Punishments::default()
            .event(&punished(), Some(local))
            .is_none());
        let local_discouraged = Event::Discouraged {
            peer: PeerId(1),
            addr: "127.0.0.1".into(),
        };
        assert!(Punishments::default()
            .event(&local_discouraged, Some(local))
            .is_some());
        // Set aside: as NoBan only for a NoBan host, as manual only for a manual, non-NoBan one.
        let reason = DisconnectReason::TooManyHeaders { count: 2_001 };
        let as_noban = Event::Dropped {
            peer: PeerId(1),
            reason: DropReason::NoBanNotPunished(reason.clone()),
        };
        let as_manual = Event::Dropped {
            peer: PeerId(1),
            reason: DropReason::ManualNotPunished(reason),
        };
        let breaks = |event: &Event, who| Punishments::default().event(event, Some(who)).is_some();
        assert!(!breaks(&as_noban, noban));
        assert!(breaks(&as_noban, manual));
        assert!(!breaks(&as_manual, manual));
        assert!(breaks(&as_manual, noban));
        assert!(breaks(&as_manual, AUTOMATIC));
        assert!(loopback("::ffff:127.0.0.1") && loopback("localhost") && !loopback("p1"));
    }
}
