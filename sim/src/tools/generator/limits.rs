//! The node's timers and limits in generated worlds: the compressed timers every seed runs
//! with ([`compressed_timing`]), Core's own relation between the ping and inactivity
//! timeouts in some seeds, and a small inbound limit in some seeds where peers dial the node.

use super::Draw;
use crate::scenario::{ProfileName, Scenario, TimingOverrides};

/// Timers shortened for exploration (the profiles' real values are minutes to tens of
/// minutes): the rules stay the same, only the waits are shorter, so a run that must outlast
/// several of them fits in a few simulated minutes.
pub fn compressed_timing(profile: ProfileName) -> TimingOverrides {
    match profile {
        // The node pings every 20 s, so an honest peer's pongs keep it clear of the idle
        // timeout (a fake peer pings only every 2 min).
        ProfileName::Btcd => TimingOverrides {
            ping_interval_ms: Some(20_000),
            idle_timeout_ms: Some(60_000),
            stall_response_timeout_ms: Some(10_000),
            sync_stall_max_ms: Some(60_000),
            retry_max_ms: Some(20_000),
            ..TimingOverrides::default()
        },
        ProfileName::Core => TimingOverrides {
            idle_timeout_ms: Some(90_000),
            ping_interval_ms: Some(20_000),
            ping_timeout_ms: Some(60_000),
            headers_download_timeout_base_ms: Some(60_000),
            // Regtest headers are dated from 2011: Core's 1 ms per 10 min behind would add
            // 11 minutes; 10 µs adds 6 s.
            headers_download_timeout_per_header_us: Some(10),
            chain_sync_timeout_ms: Some(90_000),
            headers_response_time_ms: Some(20_000),
            retry_interval_ms: Some(10_000),
            retry_max_ms: Some(10_000),
            ..TimingOverrides::default()
        },
    }
}

/// In about one Core seed in four, Core's own relation between its timeouts: the ping timeout
/// as long as the inactivity timeout (both `TIMEOUT_INTERVAL`, 20 minutes, in `net.h`), so a
/// peer that goes silent after the handshake meets the receive timeout of `InactivityCheck`
/// first (its last message came before the node's first ping). Drawn last.
pub(super) fn real_timer_relations(draw: &mut Draw, scenario: &mut Scenario) {
    if scenario.node.profile != ProfileName::Core || !draw.chance(25) {
        return;
    }
    scenario.node.timing.ping_timeout_ms = scenario.node.timing.idle_timeout_ms;
}

/// In about one seed in three where at least two peers dial the node, an inbound limit below
/// their number, so the node refuses one (`inbound_max`). Drawn last.
pub(super) fn inbound_limit(draw: &mut Draw, scenario: &mut Scenario) {
    let dialling = scenario.peers.iter().filter(|p| p.dials_node).count();
    if dialling < 2 || !draw.chance(33) {
        return;
    }
    scenario.node.inbound_max = Some(draw.range(1, dialling as u64 - 1) as usize);
}

/// In about one seed in seven where the node dials at least two peers manually and none
/// automatically, those peers become an address list (`addresses`, Core's automatic
/// `outbound-full-relay` connections from the address manager, btcd's connection manager)
/// in a drawn order, with a drawn `target_outbound` of one up to their number: the node
/// keeps that many connections, picking addresses round-robin and replacing each connection
/// that ends. Drawn last.
pub(super) fn address_list(draw: &mut Draw, scenario: &mut Scenario) {
    let node = &scenario.node;
    if node.connect.len() < 2 || !node.automatic.is_empty() || !draw.chance(14) {
        return;
    }
    let mut addresses = std::mem::take(&mut scenario.node.connect);
    // A drawn order (Fisher-Yates), so the first peer is not always first in the list.
    for i in (1..addresses.len()).rev() {
        let j = draw.below(i as u64 + 1) as usize;
        addresses.swap(i, j);
    }
    let target = draw.range(1, addresses.len() as u64) as usize;
    scenario.node.addresses = addresses;
    scenario.node.target_outbound = Some(target);
}
