//! The random scenario generator behind `sim explore`: one scenario per seed, drawn with a
//! `ChaCha8Rng` seeded from it, so the same seed always gives the same scenario.
//!
//! A generated scenario has:
//!
//! * **a profile** for the node (btcd or Core) and one per fake peer;
//! * **a main regtest chain** whose height is drawn around the protocol's edges (short chains,
//!   1999/2000/2001, several batches);
//! * **one to four fake peers**: the first always honest on the whole main chain; the others
//!   honest on a prefix, on a fork with more, equal or less work, or misbehaving in one of the
//!   preset ways ([`Behaviour`]); some dial the node instead of being dialled;
//! * **zero to three faults**, all within the first [`FAULT_WINDOW_MS`]: partitions (both
//!   ways or one way), holds, crashes of a peer or of the node, latency changes, loss, a
//!   message fault on a peer's `version` or `verack`, or a skewed `version` clock;
//! * **latencies** between 1 and 300 ms, on a [`GENERATED_TICK_MS`] tick (so they take
//!   effect in 100 ms steps);
//! * **compressed timers** ([`compressed_timing`]) so the liveness bound, and with it the run,
//!   stays within minutes of simulated time;
//! * **no expectations**: only the invariants ([`crate::harness::invariants`]) and the faults'
//!   firing can fail it. The duration is the liveness deadline plus 30 s when liveness applies.
//!
//! Drawn after all of that, so each seed's chains, peers and faults stay what they were, the
//! later draws vary the world further:
//!
//! | file | draws |
//! |---|---|
//! | `mod.rs` | connection types and handshakes, operator bans and refused dials, almost-right step programs |
//! | `low_work.rs` | a minimum chain work near the first peer's chain or above its first 2,000 headers, and NoBan |
//! | `real_world.rs` | real header sets of every network (mainnet, testnet3, signet; a trusted start) and btcd checkpoints; last of all, the real stale branch served by the first peer, so the node reorganises above a trusted start |
//! | `requests.rs` | scripts of unserved requests, broken frames, frames at a size limit, ping bursts, self-connections, well-formed messages set aside, older peers at btcd's version gates, blocks |
//! | `fault_steps.rs` | explicit undo steps, faults after the handshake, header time skews, a clean stop of the node, a restart while a ban is in force |
//! | `limits.rs` | the compressed timers, Core's own timeout relation, an inbound limit, address lists with a target |
//! | `crafted.rs` | crafted headers whose proof of work is spoiled besides their altered field |

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;

mod crafted;
mod fault_steps;
mod limits;
mod low_work;

pub use limits::compressed_timing;
mod real_world;
mod requests;

use super::draw::Draw;
use crate::scenario::chain::{ChainSpec, ForkSpec};
use crate::scenario::Behaviour;
use crate::scenario::{
    BanFault, Expect, Fault, FaultStep, Link, LinkLatency, LinkLoss, MessageAction, MessageFault,
    NetworkName, NodeSpec, OneWay, PeerSpec, ProfileName, Scenario, VersionTimeSkew,
};
use crate::scenario::{SendSpec, Step};

/// Every generated fault starts within this many milliseconds of the start.
pub const FAULT_WINDOW_MS: u64 = 180_000;

/// The longest a generated fault lasts, in milliseconds.
pub const FAULT_LENGTH_MS_MAX: u64 = 120_000;

/// The simulation tick of a generated scenario, in milliseconds.
///
/// turmoil advances every host by one tick per step and delivers a message at the first tick
/// boundary after its latency, so the tick is what a run costs (about a tenth of the steps of
/// the catalog's 10 ms tick) and what a latency resolves to: a drawn 1 to 300 ms latency takes
/// one to three 100 ms ticks. Timers inside a host stay exact (each host's clock jumps from
/// timer to timer within a tick). `sim bench` measures the rate this gives (issue 6: at least
/// 10 seeds a second with `--jobs 2`; the 10 ms tick gave about 2.5).
pub const GENERATED_TICK_MS: u64 = 100;

/// A fair coin between the two profiles.
fn draw_profile(draw: &mut Draw) -> ProfileName {
    if draw.chance(50) {
        ProfileName::Btcd
    } else {
        ProfileName::Core
    }
}

/// The scenario of `seed`: the same seed always gives the same scenario, and the scenario's
/// own `seed` is `seed`, so running it alone (`sim run FILE`) reproduces the explored run.
pub fn generate(seed: u64) -> Scenario {
    let mut draw = Draw(ChaCha8Rng::seed_from_u64(seed));
    let profile = draw_profile(&mut draw);
    let main_seed = 1 + draw.below(1_000_000);
    let height = match draw.below(6) {
        0 => draw.range(1, 300),
        1 => 1999,
        2 => 2000,
        3 => 2001,
        _ => draw.range(2002, 4500),
    } as u32;
    let main = |h: u32| ChainSpec::Regtest {
        height: h,
        seed: main_seed,
        fork: None,
    };
    let peer_count = draw.range(1, 4);
    let mut peers = Vec::new();
    let mut listen = false;
    for i in 1..=peer_count {
        let name = format!("p{i}");
        let mut behaviour = Behaviour::Honest;
        let chain = if i == 1 {
            main(height)
        } else {
            match draw.below(8) {
                0 => main(draw.range(0, u64::from(height)) as u32),
                1..=3 => {
                    let fork = draw.range(0, u64::from(height).saturating_sub(1)) as u32;
                    let own = match draw.below(3) {
                        0 => height + draw.range(1, 2500) as u32,
                        1 => height,
                        _ => fork + draw.range(1, u64::from(height - fork).max(1)) as u32,
                    };
                    let fork_spec = ForkSpec {
                        seed: main_seed,
                        height: fork,
                    };
                    ChainSpec::Regtest {
                        height: own.max(fork + 1),
                        seed: main_seed + i * 7919,
                        fork: Some(fork_spec),
                    }
                }
                _ => {
                    behaviour = misbehaviour(&mut draw);
                    main(height)
                }
            }
        };
        let dials_node = i > 1 && draw.chance(20);
        listen |= dials_node;
        peers.push(PeerSpec {
            name,
            chain: Some(chain),
            behaviour,
            profile: draw_profile(&mut draw),
            version: 70016,
            services: 0x9,
            start_height: None,
            version_fields: Default::default(),
            dials_node,
            version_delay_ms: 0,
            headers_delay_ms: if draw.chance(20) {
                draw.range(1, 3000)
            } else {
                0
            },
            block_interval_ms: None,
        });
    }
    let latency_ms_min = draw.range(1, 50);
    let latency_ms_max = latency_ms_min + draw.range(0, 250);
    let connect: Vec<String> = peers
        .iter()
        .filter(|p| !p.dials_node)
        .map(|p| p.name.clone())
        .collect();
    let faults = faults(&mut draw, &peers);
    let mut scenario = Scenario {
        description: format!("generated by `sim explore` from seed {seed}"),
        seed,
        epoch_s: 1_700_000_000,
        duration_s: 3600,
        tick_ms: GENERATED_TICK_MS,
        latency_ms_min,
        latency_ms_max,
        node: NodeSpec {
            network: NetworkName::Regtest,
            profile,
            connect,
            automatic: Vec::new(),
            addresses: Vec::new(),
            target_outbound: None,
            listen,
            timing: compressed_timing(profile),
            trusted_start: None,
            checkpoints: Vec::new(),
            noban: Vec::new(),
            minimum_chain_work: None,
            inbound_max: None,
        },
        peers,
        faults,
        expect: Expect::default(),
    };
    // Drawn last, so the draws above (and with them every seed's chains, peers and faults)
    // are what they were before these existed.
    vary_connections(&mut draw, &mut scenario);
    operator_faults(&mut draw, &mut scenario);
    scripted_peers(&mut draw, &mut scenario);
    low_work::minimum_chain_work(&mut draw, &mut scenario);
    real_world::real_world(&mut draw, &mut scenario);
    real_world::checkpoints(&mut draw, &mut scenario);
    requests::unserved_requests(&mut draw, &mut scenario);
    fault_steps::explicit_undo(&mut draw, &mut scenario);
    fault_steps::after_handshake(&mut draw, &mut scenario);
    fault_steps::clean_stop(&mut draw, &mut scenario);
    limits::real_timer_relations(&mut draw, &mut scenario);
    limits::inbound_limit(&mut draw, &mut scenario);
    limits::address_list(&mut draw, &mut scenario);
    low_work::noban_with_minimum_work(&mut draw, &mut scenario);
    requests::early_messages_and_announcements(&mut draw, &mut scenario);
    low_work::long_low_work_sync(&mut draw, &mut scenario);
    fault_steps::restart_while_banned(&mut draw, &mut scenario);
    requests::messages_set_aside(&mut draw, &mut scenario);
    requests::messages_at_version_gates(&mut draw, &mut scenario);
    crafted::spoil_pow_too(&mut draw, &mut scenario);
    real_world::stale_branch_first(&mut draw, &mut scenario);
    scenario.duration_s = duration_s(&scenario);
    scenario
}

/// Regtest genesis time (`genesis_block(Regtest)`): mined headers are dated from it,
/// [`crate::scenario::chain::REGTEST_SPACING_S`] apart.
const REGTEST_GENESIS_TIME_S: i64 = 1_296_688_602;

/// Generated step programs, drawn after everything else: in about one seed in six, one
/// honest peer the node dials, other than the first, is given a script instead: the
/// handshake, then one to four steps drawn from almost-right messages (headers with one field
/// wrong: `bits`, `version`, a time before the median or past the two-hour limit, spoiled proof
/// of work; `sendaddrv2` or `wtxidrelay` after the handshake; a fee filter out of range; a
/// locator longer than the profiles allow; an unknown command; a block announcement; pings),
/// with delays, then honest or closing. Only dialled peers: the node sends `version` first,
/// so the script's opening `wait_for` is always answered.
fn scripted_peers(draw: &mut Draw, scenario: &mut Scenario) {
    if !draw.chance(16) {
        return;
    }
    let candidates: Vec<usize> = (1..scenario.peers.len())
        .filter(|&i| {
            let p = &scenario.peers[i];
            p.behaviour == Behaviour::Honest && !p.dials_node
        })
        .collect();
    if candidates.is_empty() {
        return;
    }
    let index = candidates[draw.below(candidates.len() as u64) as usize];
    let height = match &scenario.peers[index].chain {
        Some(ChainSpec::Regtest { height, .. }) => *height,
        _ => return,
    };
    if height == 0 {
        return;
    }
    let mut steps = requests::handshake();
    for _ in 0..draw.range(1, 4) {
        if draw.chance(40) {
            steps.push(Step::DelayMs(draw.range(10, 5000)));
        }
        steps.push(Step::Send(almost_right(draw, height, scenario.epoch_s)));
    }
    steps.push(if draw.chance(70) {
        Step::Honest
    } else {
        Step::Close
    });
    scenario.peers[index].behaviour = Behaviour::Script(steps);
}

/// One almost-right message for a scripted peer whose chain is `height` headers long, in a
/// run whose clock starts at `epoch_s`.
fn almost_right(draw: &mut Draw, height: u32, epoch_s: u64) -> SendSpec {
    let crafted = |draw: &mut Draw| {
        let count = draw.range(1, u64::from(height.min(20))) as u32;
        let index = draw.below(u64::from(count)) as u32;
        (count, index)
    };
    match draw.below(10) {
        0..=3 => {
            let (count, index) = crafted(draw);
            let at_height = i64::from(1 + index);
            let (mut version, mut bits, mut time_offset_s, mut pow_invalid) =
                (None, None, None, false);
            match draw.below(5) {
                // One step easier than regtest's limit: `bad-diffbits`.
                0 => bits = Some(0x207f_fffe),
                1 => version = Some(draw.range(1, 3) as i32),
                // At or before the median time past of its parent.
                2 => time_offset_s = Some(-(draw.range(600, 6000) as i64)),
                // Past the clock plus two hours.
                3 => {
                    let header_time = REGTEST_GENESIS_TIME_S + 600 * at_height;
                    let ahead = epoch_s as i64 + 7200 + draw.range(600, 86_400) as i64;
                    time_offset_s = Some(ahead - header_time);
                }
                _ => pow_invalid = true,
            }
            SendSpec::Crafted {
                from_height: 1,
                count,
                index,
                version,
                bits,
                time_offset_s,
                pow_invalid,
            }
        }
        4 => SendSpec::Sendaddrv2,
        5 => SendSpec::Wtxidrelay,
        // Below zero or above 21 million BTC per kvB (btcd `MsgFeeFilter`'s range).
        6 => SendSpec::Feefilter(if draw.chance(50) {
            -1
        } else {
            2_100_000_000_000_001
        }),
        // Above Core's MAX_LOCATOR_SZ (101) and, sometimes, btcd's MaxBlockLocatorsPerMsg (500).
        7 => SendSpec::Getheaders {
            locator_heights: vec![0; [102, 501][draw.below(2) as usize]],
        },
        8 => SendSpec::InvBlock {
            height: draw.range(1, u64::from(height)) as u32,
        },
        _ => SendSpec::Ping(draw.range(1, 1_000_000)),
    }
}

/// An operator's ban of a peer and a window in which a peer refuses the node's dials, each in
/// about one seed in ten, drawn after everything else. Both fire when applied: a ban is a
/// command to the running node, so none is drawn where the node may be down (a crash of the
/// node); refused dials need a peer the node dials.
fn operator_faults(draw: &mut Draw, scenario: &mut Scenario) {
    let node_crashes = scenario
        .faults
        .iter()
        .any(|f| matches!(&f.fault, Fault::Crash(h) if h == "node"));
    if draw.chance(10) && !node_crashes {
        let peer = &scenario.peers[draw.below(scenario.peers.len() as u64) as usize];
        scenario.faults.push(FaultStep {
            at_ms: draw.below(FAULT_WINDOW_MS / 10) * 10,
            for_ms: None,
            fault: Fault::Ban(BanFault {
                host: peer.name.clone(),
                duration_s: draw.range(30, 600),
            }),
        });
    }
    let dialled: Vec<String> = scenario
        .peers
        .iter()
        .filter(|p| !p.dials_node)
        .map(|p| p.name.clone())
        .collect();
    if draw.chance(10) && !dialled.is_empty() {
        let host = dialled[draw.below(dialled.len() as u64) as usize].clone();
        scenario.faults.push(FaultStep {
            at_ms: draw.below(FAULT_WINDOW_MS / 10) * 10,
            for_ms: Some(draw.range(1, FAULT_LENGTH_MS_MAX / 10) * 10),
            fault: Fault::RefuseDials(host),
        });
    }
}

/// Connection types and handshake variations, drawn after everything else: some peers the
/// node dials become automatic connections (`automatic`: dialled once, Core's
/// `outbound-full-relay`) instead of manual ones (`connect`), and some peers other than the
/// first announce themselves differently: an old protocol version, too few services, a user
/// agent over the limit. The liveness invariant already leaves such peers out of what the
/// node must reach.
fn vary_connections(draw: &mut Draw, scenario: &mut Scenario) {
    let mut automatic = Vec::new();
    for peer in &scenario.peers {
        if !peer.dials_node && draw.chance(30) {
            automatic.push(peer.name.clone());
        }
    }
    scenario
        .node
        .connect
        .retain(|name| !automatic.contains(name));
    scenario.node.automatic = automatic;
    for peer in scenario.peers.iter_mut().skip(1) {
        if !draw.chance(15) {
            continue;
        }
        match draw.below(3) {
            // Below Core's MIN_PEER_PROTO_VERSION (31800, `net_processing.h`), at btcd's
            // minimum (`MinAcceptableProtocolVersion`, `wire.MultipleAddressVersion`: 209 in
            // peer/peer.go from v0.24 to v0.26), or at or just below a version gate.
            0 => peer.version = [209, 31799, 60001, 70012, 70013][draw.below(5) as usize],
            // Without NODE_WITNESS, or with no service at all.
            1 => peer.services = [0, 1][draw.below(2) as usize],
            // Core's MAX_SUBVERSION_LENGTH is 256 bytes (`net_processing.cpp`).
            _ => {
                let bytes = draw.range(250, 300) as usize;
                peer.version_fields.user_agent = Some("u".repeat(bytes));
            }
        }
    }
}

/// One of the preset misbehaviours.
fn misbehaviour(draw: &mut Draw) -> Behaviour {
    match draw.below(10) {
        0 => Behaviour::AnswersPingsOnly,
        1 => Behaviour::SilentAfterHandshake,
        2 => Behaviour::EmptyHeaders,
        3 => Behaviour::BadPow {
            batch: draw.range(1, 2) as u32,
            index: draw.range(0, 1999) as usize,
        },
        4 => Behaviour::NonContinuous {
            batch: draw.range(1, 2) as u32,
            index: draw.range(1, 1999) as usize,
        },
        5 => Behaviour::TooManyHeaders,
        6 => Behaviour::CloseMidBatch {
            batch: draw.range(1, 2) as u32,
        },
        7 => Behaviour::NeverSendsVersion,
        8 => Behaviour::SilentAfterFirstHeaders,
        _ => Behaviour::WrongPongNonce,
    }
}

/// Zero to three faults. Each one is sure to fire in a correct run: link and host faults
/// always do; message and clock faults aim at the `version` or `verack` of a peer with no
/// other fault, which every connection starts with, and never at a peer whose behaviour is
/// to send no `version` (found by `sim explore`: seeds 481, 536, 567, 610, 658).
fn faults(draw: &mut Draw, peers: &[PeerSpec]) -> Vec<FaultStep> {
    let mut out = Vec::new();
    let mut hit: Vec<String> = Vec::new();
    for _ in 0..draw.below(4) {
        let target = &peers[draw.below(peers.len() as u64) as usize];
        let peer = target.name.clone();
        // A peer that never sends `version` sends no `verack` either: a fault on those would
        // never fire.
        let speaks = target.behaviour != Behaviour::NeverSendsVersion;
        let at_ms = draw.below(FAULT_WINDOW_MS / 10) * 10;
        let for_ms = Some(draw.range(1, FAULT_LENGTH_MS_MAX / 10) * 10);
        let link = Link {
            a: "node".into(),
            b: peer.clone(),
        };
        let (fault, for_ms) = match draw.below(10) {
            0 => (Fault::Partition(link), for_ms),
            1 => {
                let (from, to) = if draw.chance(50) {
                    ("node".to_string(), peer.clone())
                } else {
                    (peer.clone(), "node".to_string())
                };
                (Fault::PartitionOneway(OneWay { from, to }), for_ms)
            }
            2 => (Fault::Hold(link), for_ms),
            3 => (Fault::Crash(peer.clone()), for_ms),
            4 => {
                if out
                    .iter()
                    .any(|f: &FaultStep| matches!(&f.fault, Fault::Crash(h) if h == "node"))
                {
                    continue;
                }
                (Fault::Crash("node".into()), for_ms)
            }
            5 => (
                Fault::Latency(LinkLatency {
                    a: link.a,
                    b: link.b,
                    latency_ms: draw.range(100, 5000),
                }),
                for_ms,
            ),
            6 => (
                Fault::Loss(LinkLoss {
                    a: link.a,
                    b: link.b,
                    per_mille: draw.range(5, 300) as u32,
                }),
                for_ms,
            ),
            7 | 8 => {
                if hit.contains(&peer) || !speaks {
                    continue;
                }
                let command = if draw.chance(50) { "version" } else { "verack" };
                let action = message_action(draw, 20_000);
                let fault = Fault::Message(MessageFault {
                    peer: peer.clone(),
                    command: command.into(),
                    nth: 1,
                    action,
                });
                out.push(FaultStep {
                    at_ms: 0,
                    for_ms: None,
                    fault,
                });
                hit.push(peer);
                continue;
            }
            _ => {
                if hit.contains(&peer) || !speaks {
                    continue;
                }
                let offset_s = draw.range(0, 14_400) as i64 - 7200;
                out.push(FaultStep {
                    at_ms: 0,
                    for_ms: None,
                    fault: Fault::VersionTimeSkew(VersionTimeSkew {
                        peer: peer.clone(),
                        offset_s,
                    }),
                });
                hit.push(peer);
                continue;
            }
        };
        hit.push(peer);
        out.push(FaultStep {
            at_ms,
            for_ms,
            fault,
        });
    }
    out
}

/// One message fault's action, any of the eight, a delay up to `delay_ms_max`.
fn message_action(draw: &mut Draw, delay_ms_max: u64) -> MessageAction {
    match draw.below(8) {
        0 => MessageAction::Drop,
        1 => MessageAction::DelayMs(draw.range(10, delay_ms_max)),
        2 => MessageAction::Duplicate,
        3 => MessageAction::Truncate {
            bytes: draw.range(1, 23) as u32,
        },
        4 => MessageAction::CorruptChecksum,
        5 => MessageAction::Split {
            chunk_bytes: draw.range(1, 16) as u32,
            gap_ms: draw.range(0, 200),
        },
        6 => MessageAction::CloseFin,
        _ => MessageAction::CloseReset,
    }
}

/// The liveness deadline plus 30 s when liveness applies; else the last fault plus ten
/// minutes.
fn duration_s(scenario: &Scenario) -> u64 {
    let built: Vec<Vec<bitcoin::block::Header>> = scenario
        .peers
        .iter()
        .map(|p| {
            p.chain
                .as_ref()
                .and_then(|c| c.build().ok())
                .unwrap_or_default()
        })
        .collect();
    let chains: Vec<&[bitcoin::block::Header]> = built.iter().map(Vec::as_slice).collect();
    let mut probe = scenario.clone();
    probe.duration_s = 100_000;
    let mut timing = node::Timing::for_profile(scenario.node.profile.profile());
    scenario.node.timing.apply(&mut timing);
    match crate::harness::invariants::liveness(&probe, &chains, &timing) {
        crate::harness::invariants::Liveness::Check { by_ms, .. } => by_ms / 1000 + 30,
        crate::harness::invariants::Liveness::NotApplicable(_) => {
            let last = scenario
                .faults
                .iter()
                .map(|f| f.at_ms + f.for_ms.unwrap_or(0))
                .max()
                .unwrap_or(0);
            last / 1000 + 600
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_scenario_and_it_survives_its_own_json() {
        for seed in 0..50 {
            let a = generate(seed);
            assert_eq!(a, generate(seed));
            assert_eq!(a.seed, seed);
            let text = serde_json::to_string_pretty(&a).expect("serializes");
            let back =
                Scenario::parse("generated.json", &text).expect("a generated scenario is valid");
            assert_eq!(back, a, "seed {seed}");
        }
    }

    #[test]
    fn seeds_cover_both_profiles_faults_and_misbehaving_peers() {
        let scenarios: Vec<Scenario> = (0..200).map(generate).collect();
        assert!(scenarios
            .iter()
            .any(|s| s.node.profile == ProfileName::Btcd));
        assert!(scenarios
            .iter()
            .any(|s| s.node.profile == ProfileName::Core));
        assert!(scenarios.iter().any(|s| s
            .faults
            .iter()
            .any(|f| matches!(f.fault, Fault::Message(_)))));
        assert!(scenarios.iter().any(|s| s
            .faults
            .iter()
            .any(|f| matches!(&f.fault, Fault::Crash(h) if h == "node"))));
        assert!(scenarios
            .iter()
            .any(|s| s.peers.iter().any(|p| p.behaviour != Behaviour::Honest)));
        assert!(scenarios
            .iter()
            .all(|s| s.peers[0].behaviour == Behaviour::Honest));
    }

    #[test]
    fn seeds_cover_real_networks_checkpoints_unserved_requests_stops_and_limits() {
        let scenarios: Vec<Scenario> = (0..300).map(generate).collect();
        let some = |f: &dyn Fn(&Scenario) -> bool| scenarios.iter().any(f);
        for network in [
            NetworkName::Mainnet,
            NetworkName::Testnet,
            NetworkName::Signet,
        ] {
            assert!(some(&|s| s.node.network == network), "{network:?}");
        }
        assert!(some(&|s| s.node.trusted_start.is_some()));
        assert!(some(&|s| !s.node.checkpoints.is_empty()));
        assert!(some(&|s| s.node.inbound_max.is_some()));
        assert!(some(&|s| s
            .faults
            .iter()
            .any(|f| matches!(f.fault, Fault::Stop(_)))));
        assert!(some(&|s| s
            .faults
            .iter()
            .any(|f| matches!(f.fault, Fault::Repair(_)))));
        assert!(some(&|s| {
            s.peers.iter().any(|p| matches!(
            &p.behaviour,
            Behaviour::Script(steps) if steps.iter().any(|step| matches!(step, Step::Send(SendSpec::Unserved { .. })))
        ))
        }));
        for s in &scenarios {
            // Checkpoints only under btcd; real networks name no regtest chain.
            assert!(s.node.checkpoints.is_empty() || s.node.profile == ProfileName::Btcd);
            if s.node.network != NetworkName::Regtest {
                assert!(s
                    .peers
                    .iter()
                    .all(|p| !matches!(p.chain, Some(ChainSpec::Regtest { .. }))));
            }
        }
    }

    #[test]
    fn seeds_cover_automatic_connections_and_varied_handshakes_and_the_first_peer_stays_plain() {
        let scenarios: Vec<Scenario> = (0..200).map(generate).collect();
        assert!(scenarios.iter().any(|s| !s.node.automatic.is_empty()));
        assert!(scenarios.iter().any(|s| !s.node.connect.is_empty()));
        // Address lists with a target number of connections, some smaller than the list.
        assert!(scenarios.iter().any(|s| s
            .node
            .target_outbound
            .is_some_and(|t| t < s.node.addresses.len())));
        for s in &scenarios {
            assert_eq!(
                s.node.addresses.is_empty(),
                s.node.target_outbound.is_none()
            );
            for peer in &s.peers {
                let dialled = s.node.connect.contains(&peer.name)
                    || s.node.automatic.contains(&peer.name)
                    || s.node.addresses.contains(&peer.name);
                assert_eq!(
                    dialled, !peer.dials_node,
                    "seed {}: {} is dialled exactly once or dials the node",
                    s.seed, peer.name
                );
            }
            let first = &s.peers[0];
            assert_eq!(
                (first.version, first.services),
                (70016, 0x9),
                "seed {}",
                s.seed
            );
            assert!(first.version_fields.is_empty(), "seed {}", s.seed);
        }
        let varied = |p: &PeerSpec| {
            p.version != 70016 || p.services != 0x9 || p.version_fields.user_agent.is_some()
        };
        assert!(scenarios
            .iter()
            .any(|s| s.peers.iter().any(|p| p.version < 70013)));
        assert!(scenarios
            .iter()
            .any(|s| s.peers.iter().any(|p| p.services == 0)));
        assert!(scenarios.iter().any(|s| s
            .peers
            .iter()
            .any(|p| p.version_fields.user_agent.is_some())));
        assert!(scenarios.iter().any(|s| s.peers.iter().any(varied)));
    }

    #[test]
    fn seeds_cover_step_programs_that_open_with_the_handshake_on_dialled_peers() {
        let scenarios: Vec<Scenario> = (0..300).map(generate).collect();
        let mut scripted = 0;
        let mut crafted = 0;
        let (mut early, mut announced) = (0, 0);
        for s in &scenarios {
            for peer in &s.peers {
                let Behaviour::Script(steps) = &peer.behaviour else {
                    continue;
                };
                scripted += 1;
                assert!(
                    !peer.dials_node,
                    "seed {}: the node dials {}",
                    s.seed, peer.name
                );
                assert_ne!(
                    peer.name, "p1",
                    "seed {}: the first peer stays honest",
                    s.seed
                );
                assert_eq!(steps[0], Step::WaitFor("version".into()), "seed {}", s.seed);
                // The handshake, with at most one early message in it.
                let verack_at = steps
                    .iter()
                    .position(|step| *step == Step::WaitFor("verack".into()));
                // (A peer remade below 70016 shakes hands without wtxidrelay and sendaddrv2.)
                let short = peer.version < 70_016 && verack_at == Some(3);
                assert!(
                    matches!(verack_at, Some(5 | 6)) || short,
                    "seed {}: {steps:?}",
                    s.seed
                );
                let is_version = |step: &Step| {
                    matches!(
                        step,
                        Step::Send(SendSpec::Version | SendSpec::VersionWith(_))
                    )
                };
                early += usize::from(!is_version(&steps[1]) || verack_at == Some(6));
                announced += usize::from(matches!(
                    steps.get(verack_at.unwrap_or(0) + 1),
                    Some(Step::Send(SendSpec::InvBlock { .. }))
                ));
                assert!(
                    matches!(steps.last(), Some(Step::Honest | Step::Close)),
                    "seed {}",
                    s.seed
                );
                crafted += steps
                    .iter()
                    .filter(|step| matches!(step, Step::Send(SendSpec::Crafted { .. })))
                    .count();
            }
        }
        assert!(scripted >= 10, "{scripted} step programs in 300 seeds");
        assert!(crafted > 0, "some programs send crafted headers");
        assert!(
            early > 0,
            "some programs send a message before their verack"
        );
        assert!(
            announced > 0,
            "some programs announce a block after the handshake"
        );
    }

    #[test]
    fn some_core_seeds_set_a_minimum_chain_work_and_no_btcd_seed_does() {
        let scenarios: Vec<Scenario> = (0..300).map(generate).collect();
        assert!(scenarios
            .iter()
            .any(|s| s.node.minimum_chain_work.is_some()));
        for s in &scenarios {
            if s.node.minimum_chain_work.is_some() {
                assert_eq!(s.node.profile, ProfileName::Core, "seed {}", s.seed);
            }
        }
    }

    #[test]
    fn seeds_cover_bans_and_refused_dials_and_no_ban_falls_while_the_node_is_down() {
        let scenarios: Vec<Scenario> = (0..300).map(generate).collect();
        let has = |s: &Scenario, f: fn(&Fault) -> bool| s.faults.iter().any(|x| f(&x.fault));
        assert!(scenarios
            .iter()
            .any(|s| has(s, |f| matches!(f, Fault::Ban(_)))));
        assert!(scenarios
            .iter()
            .any(|s| has(s, |f| matches!(f, Fault::RefuseDials(_)))));
        let mut restarted_while_banned = 0;
        for s in &scenarios {
            // The node's down windows: a crash or stop until its restart (or the end).
            let down: Vec<(u64, u64)> = s
                .faults
                .iter()
                .filter(|f| matches!(&f.fault, Fault::Crash(h) | Fault::Stop(h) if h == "node"))
                .map(|f| (f.at_ms, f.for_ms.map_or(u64::MAX, |d| f.at_ms + d)))
                .collect();
            for ban in s.faults.iter().filter(|f| matches!(f.fault, Fault::Ban(_))) {
                assert!(
                    !down
                        .iter()
                        .any(|(from, to)| *from <= ban.at_ms && ban.at_ms < *to),
                    "seed {}: a ban while the node is down would never fire",
                    s.seed
                );
                restarted_while_banned += usize::from(
                    down.iter()
                        .any(|(from, to)| *from > ban.at_ms && *to < u64::MAX),
                );
            }
            for step in &s.faults {
                if let Fault::RefuseDials(host) = &step.fault {
                    let peer = s.peers.iter().find(|p| &p.name == host).expect("a peer");
                    assert!(!peer.dials_node, "seed {}: {host} is dialled", s.seed);
                }
            }
        }
        assert!(
            restarted_while_banned > 0,
            "some seeds take the node down and back after a ban"
        );
    }
}
