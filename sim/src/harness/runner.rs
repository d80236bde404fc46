//! Builds a turmoil world from a [`Scenario`], runs the unchanged node and its fake peers in it,
//! applies timed faults, and returns the trace, the outcome and the failed expectations.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, Instant, UNIX_EPOCH};

use node::runtime::{self, Command, TokioClock};
use node::store::Store;
use node::Config;
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::watch;

use crate::error::SimError;
use crate::harness::failure::Failure;
use crate::harness::faults::{FaultReport, PeerFaults};
use crate::harness::invariants::{self, Checker};
use crate::harness::net::TurmoilNetwork;
use crate::harness::outcome::Outcome;
use crate::harness::sink::SimSink;
use crate::harness::trace::{HarnessNote, Recorder};
use crate::harness::trace_expect::check_trace;
use crate::peers::fake_peer::{
    self, FakePeer, FakePeerSettings, NodeVersions, WireChunk, LISTEN_PORT,
};
use crate::scenario::{Fault, Scenario};

/// Extra simulated time turmoil is allowed beyond the scenario's duration (it stops by itself
/// only if a run overshoots by a whole step).
const DURATION_SLACK: Duration = Duration::from_secs(60);

/// The result of one run.
#[derive(Debug)]
pub struct RunResult {
    /// The outcome (the snapshot's content).
    pub outcome: Outcome,
    /// Why the run failed: expectations, invariants, unfired faults (empty: it passes).
    pub failures: Vec<Failure>,
    /// The full trace.
    pub recorder: Recorder,
    /// Simulated time covered, in milliseconds.
    pub simulated_ms: u64,
    /// Real time the run took, in milliseconds (not part of the outcome).
    pub wall_ms: u64,
    /// Real time, in milliseconds, spent before the simulation started (building the fake
    /// peers' chains, mining regtest ones); part of `wall_ms`, not of the outcome.
    pub setup_wall_ms: u64,
    /// Real time, in milliseconds, from the start of the simulation to the step in which the
    /// node's best height last changed (`None`: it never changed); not part of the outcome.
    /// `sim bench` reads it as the sync time.
    pub tip_wall_ms: Option<u64>,
    /// Every configured fault, with when it was applied, when it ended and when it fired.
    pub faults: Vec<crate::harness::faults::FaultReport>,
    /// Every invariant checked, with its first violation if any.
    pub invariants: Vec<crate::harness::invariants::InvariantReport>,
}

/// Runs `scenario` (named `name` in the outcome) with `seed` (the scenario's own unless
/// overridden).
///
/// # Errors
/// Harness failures only ([`SimError`]): fixtures, the data folder, a host that crashed
/// with an error. The node's misbehaviour is reported in [`RunResult::failures`].
pub fn run_scenario(
    scenario: &Scenario,
    name: &str,
    seed: Option<u64>,
) -> Result<RunResult, SimError> {
    let datadir = tempfile::tempdir().map_err(|e| SimError::Datadir(e.to_string()))?;
    run_scenario_in(scenario, name, seed, datadir.path())
}

/// [`run_scenario`] with the node's data folder at `datadir` (an empty or missing folder:
/// the node starts from its base), which is kept after the run, so its `headers.sqlite` can be
/// measured or reopened (`sim bench` does both).
///
/// # Errors
/// As [`run_scenario`].
pub fn run_scenario_in(
    scenario: &Scenario,
    name: &str,
    seed: Option<u64>,
    datadir: &Path,
) -> Result<RunResult, SimError> {
    run_inner(scenario, name, seed, datadir, None)
}

/// Every byte each fake peer wrote in a run, by peer name, in order ([`FakePeer::wire_log`]).
pub type PeerWire = BTreeMap<String, Vec<WireChunk>>;

/// [`run_scenario`], also keeping every byte each fake peer wrote, with its connection and
/// simulated time: what `sim conform` plays to a real bitcoind.
///
/// # Errors
/// As [`run_scenario`].
pub fn run_scenario_recording_peers(
    scenario: &Scenario,
    name: &str,
    seed: Option<u64>,
) -> Result<(RunResult, PeerWire), SimError> {
    let datadir = tempfile::tempdir().map_err(|e| SimError::Datadir(e.to_string()))?;
    let mut wire = PeerWire::new();
    let result = run_inner(scenario, name, seed, datadir.path(), Some(&mut wire))?;
    Ok((result, wire))
}

fn run_inner(
    scenario: &Scenario,
    name: &str,
    seed: Option<u64>,
    datadir: &Path,
    mut peer_wire: Option<&mut PeerWire>,
) -> Result<RunResult, SimError> {
    let started = Instant::now();
    let seed = seed.unwrap_or(scenario.seed);
    let network = scenario.node.network.network();
    let epoch_ms = scenario.epoch_s * 1000;
    let recorder = Rc::new(RefCell::new(Recorder::new(epoch_ms)));

    let mut builder = turmoil::Builder::new();
    builder
        .rng_seed(seed)
        .epoch(UNIX_EPOCH + Duration::from_secs(scenario.epoch_s))
        .simulation_duration(Duration::from_secs(scenario.duration_s) + DURATION_SLACK)
        .tick_duration(Duration::from_millis(scenario.tick_ms))
        .min_message_latency(Duration::from_millis(scenario.latency_ms_min))
        .max_message_latency(Duration::from_millis(scenario.latency_ms_max));
    let mut sim = builder.build();

    let mut config =
        Config::new(network, datadir.to_path_buf()).with_profile(scenario.node.profile.profile());
    config.seed = seed;
    scenario.node.timing.apply(&mut config.timing);
    config.connect = scenario
        .node
        .connect
        .iter()
        .map(|h| format!("{h}:{LISTEN_PORT}"))
        .collect();
    config.automatic = scenario
        .node
        .automatic
        .iter()
        .map(|h| format!("{h}:{LISTEN_PORT}"))
        .collect();
    config.addresses = scenario
        .node
        .addresses
        .iter()
        .map(|h| format!("{h}:{LISTEN_PORT}"))
        .collect();
    if let Some(target) = scenario.node.target_outbound {
        config.target_outbound = target;
    }
    if let Some(inbound_max) = scenario.node.inbound_max {
        config.inbound_max = inbound_max;
    }
    if scenario.node.listen {
        config.listen = vec![format!("0.0.0.0:{LISTEN_PORT}")];
    }
    config.trusted_start = scenario
        .node
        .trusted_start
        .as_ref()
        .map(|spec| spec.build(network))
        .transpose()?;
    // Every fake peer (and its chain) is built once, before the node, whose checkpoints name
    // headers of those chains.
    let mut fakes = Vec::with_capacity(scenario.peers.len());
    let mut ping_logs = Vec::with_capacity(scenario.peers.len());
    // The node's `version` nonces as every fake peer reads them, for scripts that reuse one.
    let node_versions = Rc::new(NodeVersions::default());
    for spec in &scenario.peers {
        let chain = match &spec.chain {
            Some(chain) => chain.build()?,
            None => vec![bitcoin::constants::genesis_block(network).header],
        };
        let settings = FakePeerSettings {
            version: spec.version,
            services: spec.services,
            start_height: spec.start_height,
            version_fields: spec.version_fields.clone(),
            first_height: spec
                .chain
                .as_ref()
                .map_or(0, crate::scenario::chain::ChainSpec::first_height),
            behaviour: spec.behaviour.clone(),
            version_delay: Duration::from_millis(spec.version_delay_ms),
            headers_delay: Duration::from_millis(spec.headers_delay_ms),
            block_interval: spec.block_interval_ms.map(Duration::from_millis),
            seed,
            clock_s: fake_peer::turmoil_clock_s,
            profile: spec.profile.profile(),
        };
        let first_height = settings.first_height;
        let faults = PeerFaults::new(
            &spec.name,
            &scenario.faults,
            &chain,
            first_height,
            Some(recorder.clone()),
        );
        let mut fake = FakePeer::new(&spec.name, network, chain, settings)
            .with_faults(faults)
            .with_node_versions(node_versions.clone());
        if peer_wire.is_some() {
            fake = fake.with_wire_log();
        }
        let peer = Rc::new(fake);
        ping_logs.push(peer.clone());
        fakes.push((spec, peer));
    }
    for checkpoint in &scenario.node.checkpoints {
        let header = fakes
            .iter()
            .find(|(spec, _)| spec.name == checkpoint.peer)
            .and_then(|(_, peer)| peer.header_at(checkpoint.height));
        let Some(header) = header else {
            return Err(SimError::Simulation(format!(
                "checkpoint at height {}: peer `{}` has no header there",
                checkpoint.height, checkpoint.peer
            )));
        };
        config
            .checkpoints
            .push((checkpoint.height, header.block_hash()));
    }
    if let Some(work) = &scenario.node.minimum_chain_work {
        config.minimum_chain_work = work
            .work()
            .map_err(|e| SimError::Simulation(format!("node.minimum_chain_work: {e}")))?;
    }
    let node_recorder = recorder.clone();
    let checker = Rc::new(RefCell::new(Checker::new(
        seed,
        epoch_ms,
        config.timing.clone(),
        config.profile,
        scenario.node.noban.clone(),
        config.inbound_max,
        config.minimum_chain_work,
    )));
    let node_checker = checker.clone();
    let chains: Vec<&[bitcoin::block::Header]> = fakes
        .iter()
        .map(|(_, peer)| peer.chain.as_slice())
        .collect();
    let liveness = invariants::liveness(scenario, &chains, &config.timing);
    let trusted_start = config.trusted_start;
    // btcd's checkpoints: the Core profile ignores them, so the stored chain need not pass
    // through them.
    let checkpoints = match config.profile {
        node::Profile::Btcd => config.checkpoints.clone(),
        node::Profile::Core => Vec::new(),
    };
    // Connections are labelled with the peer's host name (inbound ones by reverse lookup).
    config.noban = scenario.node.noban.clone();
    // The deliberate bug `--bug` selected for this thread's runs, if any.
    config
        .set_deliberate_bug(crate::harness::bug::active())
        .map_err(|e| SimError::Simulation(e.to_string()))?;
    // The running node incarnation's command queue (`ban` faults); replaced at each restart.
    let commands: Rc<RefCell<Option<UnboundedSender<Command>>>> = Rc::new(RefCell::new(None));
    let node_commands = commands.clone();
    // The running node incarnation's shutdown signal (`stop` faults); replaced at each restart.
    let stop: Rc<RefCell<Option<watch::Sender<bool>>>> = Rc::new(RefCell::new(None));
    let node_stop = stop.clone();
    sim.host("node", move || {
        let config = config.clone();
        let recorder = node_recorder.clone();
        let checker = node_checker.clone();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        *node_commands.borrow_mut() = Some(tx);
        let (stop_tx, mut stop_rx) = watch::channel(false);
        *node_stop.borrow_mut() = Some(stop_tx);
        async move {
            let now = turmoil::since_epoch().unwrap_or_default();
            recorder.borrow_mut().start_run();
            let clock = TokioClock::new(u64::try_from(now.as_millis()).unwrap_or(u64::MAX));
            let mut sink = SimSink {
                recorder,
                checker: Some(checker),
            };
            runtime::run_with_commands(
                TurmoilNetwork,
                config,
                clock,
                &mut sink,
                async move {
                    // A dropped sender (the run is over) never asks for a shutdown.
                    if stop_rx.wait_for(|stop| *stop).await.is_err() {
                        std::future::pending::<()>().await;
                    }
                },
                rx,
            )
            .await?;
            Ok(())
        }
    });

    // Per listening fake peer, whether it refuses dials now (`refuse_dials` faults).
    let mut refusing: BTreeMap<String, watch::Sender<bool>> = BTreeMap::new();
    for (spec, peer) in fakes {
        if spec.dials_node {
            sim.host(spec.name.as_str(), move || {
                let peer = peer.clone();
                async move {
                    fake_peer::dial_loop(TurmoilNetwork, format!("node:{LISTEN_PORT}"), peer)
                        .await?;
                    Ok(())
                }
            });
        } else {
            let (gate, refused) = watch::channel(false);
            refusing.insert(spec.name.clone(), gate);
            sim.host(spec.name.as_str(), move || {
                let peer = peer.clone();
                let refused = refused.clone();
                async move {
                    let addr = format!("0.0.0.0:{LISTEN_PORT}");
                    fake_peer::listen_loop(TurmoilNetwork, addr, peer, refused).await?;
                    Ok(())
                }
            });
        }
    }

    // The link and host faults as a timeline of applications and undos (`for_ms`), in time
    // order, ties in the order of the scenario's list (applications before undos).
    let end = Duration::from_secs(scenario.duration_s);
    let end_ms = scenario.duration_s * 1000;
    let mut reports: Vec<FaultReport> = scenario
        .faults
        .iter()
        .enumerate()
        .map(|(index, step)| FaultReport {
            index,
            label: step.fault.label(),
            hosts: step.fault.hosts().into_iter().cloned().collect(),
            start_ms: step.at_ms,
            end_ms: step
                .for_ms
                .map(|f| step.at_ms.saturating_add(f))
                .or_else(|| undone_by_later_step(&scenario.faults, index))
                .filter(|&e| e <= end_ms),
            fired_at_ms: None,
        })
        .collect();
    let mut timeline: Vec<(u64, bool, usize)> = Vec::new();
    for (index, step) in scenario.faults.iter().enumerate() {
        if is_peer_side(&step.fault) {
            continue;
        }
        timeline.push((step.at_ms, false, index));
        if let Some(for_ms) = step.for_ms {
            timeline.push((step.at_ms.saturating_add(for_ms), true, index));
        }
    }
    timeline.sort();
    let mut next = 0;
    let simulation_started = Instant::now();
    let setup_wall_ms =
        u64::try_from(simulation_started.duration_since(started).as_millis()).unwrap_or(u64::MAX);
    let mut tip_height = recorder.borrow().tip.0;
    let mut tip_wall_ms = None;
    while sim.elapsed() < end {
        let elapsed_ms = u64::try_from(sim.elapsed().as_millis()).unwrap_or(u64::MAX);
        while next < timeline.len() && timeline[next].0 <= elapsed_ms {
            let (_, undo, index) = timeline[next];
            let fault = &scenario.faults[index].fault;
            let fired = if undo {
                recorder.borrow_mut().note(
                    elapsed_ms,
                    HarnessNote::FaultEnd {
                        label: fault.label(),
                    },
                );
                undo_fault(&mut sim, fault, scenario, &refusing);
                false
            } else {
                recorder.borrow_mut().note(
                    elapsed_ms,
                    HarnessNote::Fault {
                        label: fault.label(),
                    },
                );
                let hosts = Hosts {
                    commands: &commands,
                    refusing: &refusing,
                    stop: &stop,
                };
                apply_fault(&mut sim, fault, &hosts, &recorder, elapsed_ms)
            };
            if fired {
                reports[index].fired_at_ms.get_or_insert(elapsed_ms);
            }
            if !undo && matches!(fault, Fault::Crash(host) if host == "node") {
                checker.borrow_mut().node_stopped();
            }
            next += 1;
        }
        if elapsed_ms % 1000 < scenario.tick_ms {
            checker.borrow_mut().check_deadlines(epoch_ms + elapsed_ms);
        }
        sim.step()
            .map_err(|e| SimError::Simulation(e.to_string()))?;
        let height = recorder.borrow().tip.0;
        if height != tip_height {
            tip_height = height;
            tip_wall_ms =
                Some(u64::try_from(simulation_started.elapsed().as_millis()).unwrap_or(u64::MAX));
        }
    }
    let simulated_ms = u64::try_from(sim.elapsed().as_millis()).unwrap_or(u64::MAX);
    // Dropping the world stops every host and closes the node's store.
    drop(sim);

    // What the fake peers saw, then free them (and their chains) before the store is re-read
    // and re-validated, which holds the whole chain twice more.
    let pings_sent = ping_logs
        .iter()
        .map(|peer| (peer.name.clone(), peer.pings_sent()))
        .collect();
    for peer in &ping_logs {
        for (index, at_ms) in peer.faults.fired() {
            if let Some(report) = reports.get_mut(index) {
                report.fired_at_ms.get_or_insert(at_ms);
            }
        }
    }
    if let Some(wire) = peer_wire.as_mut() {
        for peer in &ping_logs {
            wire.insert(peer.name.clone(), peer.wire_log());
        }
    }
    let written: Vec<(String, crate::peers::fake_peer::WrittenStreams)> = ping_logs
        .iter()
        .map(|peer| (peer.name.clone(), peer.written()))
        .collect();
    drop(ping_logs);
    let stored = read_store(&datadir.join("headers.sqlite"), network)?;
    let (stored_rows, stored_tip_hash) = (
        stored.len() as u64,
        stored
            .last()
            .map(|h| h.block_hash().to_string())
            .unwrap_or_default(),
    );
    let end_s = (epoch_ms + simulated_ms) / 1000;
    let stored_valid = validate_stored(network, trusted_start, &stored, end_s);
    let consensus_base = invariants::ChainBase {
        height: trusted_start.map_or(0, |start| start.height),
        period_first: trusted_start.map(|start| (start.period_first_time, start.period_first_bits)),
    };
    let consensus =
        invariants::check_consensus(network, consensus_base, &checkpoints, &stored, end_s);
    let recorder = Rc::try_unwrap(recorder)
        .map_err(|_| SimError::Simulation("a host outlived the simulation".into()))?
        .into_inner();
    let checker = Rc::try_unwrap(checker)
        .map_err(|_| SimError::Simulation("a host outlived the simulation".into()))?
        .into_inner();
    let stored_hashes: Vec<bitcoin::BlockHash> = stored.iter().map(|h| h.block_hash()).collect();
    let invariants = checker.finish(
        simulated_ms,
        &stored_hashes,
        stored_valid,
        consensus,
        &written,
        liveness,
    );
    let outcome = Outcome::new(
        name,
        seed,
        &recorder,
        stored_rows,
        stored_tip_hash,
        pings_sent,
    );
    let mut failures = outcome.check(&scenario.expect);
    failures.extend(check_trace(&scenario.expect, &recorder));
    for report in &invariants {
        if let Some(violation) = &report.violation {
            failures.push(Failure::Invariant(violation.clone()));
        }
    }
    for report in &reports {
        if report.fired_at_ms.is_none() {
            failures.push(Failure::FaultNeverFired {
                index: report.index,
                label: report.label.clone(),
                start_ms: report.start_ms,
            });
        }
    }
    let wall_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(RunResult {
        outcome,
        failures,
        recorder,
        simulated_ms,
        wall_ms,
        setup_wall_ms,
        tip_wall_ms,
        faults: reports,
        invariants,
    })
}

/// The store's rows from the base up, after re-checking linkage on load (empty if there is
/// no store).
fn read_store(
    path: &Path,
    network: bitcoin::Network,
) -> Result<Vec<bitcoin::block::Header>, SimError> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let store = Store::open(path, network).map_err(|e| SimError::Datadir(e.to_string()))?;
    store
        .load()
        .map_err(|e| SimError::Datadir(format!("store after the run: {e}")))
}

/// Re-validates stored rows with every header check (linkage, bits, proof of work, median
/// time past, the future limit at `now_s`), as a fresh node would accept them from a peer.
fn validate_stored(
    network: bitcoin::Network,
    trusted_start: Option<node::trusted_start::TrustedStart>,
    stored: &[bitcoin::block::Header],
    now_s: u64,
) -> Result<(), String> {
    use node::protocol::header_chain::HeaderChain;
    let mut chain = match trusted_start {
        Some(start) => {
            HeaderChain::with_trusted_start(network, start).map_err(|e| e.to_string())?
        }
        None => HeaderChain::new(network),
    };
    let Some(base) = stored.first() else {
        return Ok(());
    };
    if base.block_hash() != chain.base_hash() {
        return Err(format!(
            "the store's first row {} is not the base {}",
            base.block_hash(),
            chain.base_hash()
        ));
    }
    let base_height = chain.base_height();
    for (i, batch) in stored[1..].chunks(2000).enumerate() {
        let import = chain.accept_headers(batch, now_s);
        if let Some(error) = import.error {
            return Err(format!(
                "stored headers from height {} do not validate: {error}",
                base_height as usize + 1 + i * 2000
            ));
        }
    }
    if chain.tip_height() as usize != base_height as usize + stored.len() - 1 {
        return Err(format!(
            "the stored rows end at height {}, but they validate only to {}",
            base_height as usize + stored.len() - 1,
            chain.tip_height()
        ));
    }
    Ok(())
}

/// When a later step undoes fault `index` ([`Fault::is_undone_by`]).
fn undone_by_later_step(steps: &[crate::scenario::FaultStep], index: usize) -> Option<u64> {
    let step = &steps[index];
    steps[index + 1..]
        .iter()
        .find(|later| later.at_ms >= step.at_ms && step.fault.is_undone_by(&later.fault))
        .map(|later| later.at_ms)
}

/// Whether a fake peer applies the fault itself (message and clock faults), rather than the
/// runner through turmoil or the node's command queue.
fn is_peer_side(fault: &Fault) -> bool {
    matches!(
        fault,
        Fault::Message(_) | Fault::VersionTimeSkew(_) | Fault::HeaderTimeSkew(_)
    )
}

/// What the runner reaches inside the hosts to apply a fault: the running node's command
/// queue (bans) and each listening fake peer's refusal switch (refused dials).
struct Hosts<'a> {
    commands: &'a Rc<RefCell<Option<UnboundedSender<Command>>>>,
    refusing: &'a BTreeMap<String, watch::Sender<bool>>,
    /// The running node's shutdown signal.
    stop: &'a Rc<RefCell<Option<watch::Sender<bool>>>>,
}

/// Applies a link, host, ban or refused-dials fault now; returns whether it took effect (a
/// crash or stop of a host that is not running, a ban while the node is down, or refused dials
/// of a peer that does not listen, do not).
fn apply_fault(
    sim: &mut turmoil::Sim<'_>,
    fault: &Fault,
    hosts: &Hosts<'_>,
    recorder: &Rc<RefCell<Recorder>>,
    elapsed_ms: u64,
) -> bool {
    match fault {
        Fault::Partition(l) => sim.partition(l.a.as_str(), l.b.as_str()),
        Fault::Repair(l) => sim.repair(l.a.as_str(), l.b.as_str()),
        Fault::PartitionOneway(o) => sim.partition_oneway(o.from.as_str(), o.to.as_str()),
        Fault::RepairOneway(o) => sim.repair_oneway(o.from.as_str(), o.to.as_str()),
        Fault::Hold(l) => sim.hold(l.a.as_str(), l.b.as_str()),
        Fault::Release(l) => sim.release(l.a.as_str(), l.b.as_str()),
        Fault::Latency(l) => sim.set_link_latency(
            l.a.as_str(),
            l.b.as_str(),
            Duration::from_millis(l.latency_ms),
        ),
        Fault::Loss(l) => {
            sim.set_link_fail_rate(l.a.as_str(), l.b.as_str(), f64::from(l.per_mille) / 1000.0)
        }
        Fault::Crash(host) => {
            if !sim.is_host_running(host.as_str()) {
                recorder.borrow_mut().note(
                    elapsed_ms,
                    HarnessNote::CrashNotApplied { host: host.clone() },
                );
                return false;
            }
            sim.crash(host.as_str());
        }
        Fault::Restart(host) => sim.bounce(host.as_str()),
        Fault::Stop(host) => {
            let asked = sim.is_host_running(host.as_str())
                && hosts
                    .stop
                    .borrow()
                    .as_ref()
                    .is_some_and(|tx| tx.send(true).is_ok());
            if !asked {
                recorder.borrow_mut().note(
                    elapsed_ms,
                    HarnessNote::CrashNotApplied { host: host.clone() },
                );
                return false;
            }
        }
        Fault::RefuseDials(host) => {
            let Some(gate) = hosts.refusing.get(host) else {
                recorder.borrow_mut().note(
                    elapsed_ms,
                    HarnessNote::RefuseNotApplied { host: host.clone() },
                );
                return false;
            };
            gate.send_replace(true);
        }
        Fault::Ban(ban) => {
            let command = Command::Ban {
                host: ban.host.clone(),
                duration: Duration::from_secs(ban.duration_s),
            };
            let delivered = hosts
                .commands
                .borrow()
                .as_ref()
                .is_some_and(|tx| tx.send(command).is_ok());
            if !delivered {
                recorder
                    .borrow_mut()
                    .note(elapsed_ms, HarnessNote::BanNotDelivered);
                return false;
            }
        }
        Fault::Message(_) | Fault::VersionTimeSkew(_) | Fault::HeaderTimeSkew(_) => return false,
    }
    true
}

/// Undoes a fault at the end of its `for_ms`.
fn undo_fault(
    sim: &mut turmoil::Sim<'_>,
    fault: &Fault,
    scenario: &Scenario,
    refusing: &BTreeMap<String, watch::Sender<bool>>,
) {
    match fault {
        Fault::Partition(l) => sim.repair(l.a.as_str(), l.b.as_str()),
        Fault::PartitionOneway(o) => sim.repair_oneway(o.from.as_str(), o.to.as_str()),
        Fault::Hold(l) => sim.release(l.a.as_str(), l.b.as_str()),
        Fault::Crash(host) | Fault::Stop(host) => sim.bounce(host.as_str()),
        Fault::RefuseDials(host) => {
            if let Some(gate) = refusing.get(host) {
                gate.send_replace(false);
            }
        }
        Fault::Latency(l) => {
            sim.set_link_latency(
                l.a.as_str(),
                l.b.as_str(),
                Duration::from_millis(scenario.latency_ms_min),
            );
            sim.set_link_max_message_latency(
                l.a.as_str(),
                l.b.as_str(),
                Duration::from_millis(scenario.latency_ms_max),
            );
        }
        Fault::Loss(l) => sim.set_link_fail_rate(l.a.as_str(), l.b.as_str(), 0.0),
        _ => {}
    }
}
