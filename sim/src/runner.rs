//! Builds a turmoil world from a [`Scenario`], runs the unchanged node and its fake peers in it,
//! applies timed faults, and returns the trace, the outcome and the failed expectations.

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, Instant, UNIX_EPOCH};

use node::runtime::{self, Command, Network, TokioClock};
use tokio::sync::mpsc::UnboundedSender;
use node::store::Store;
use node::Config;

use crate::fake_peer::{self, FakePeer, FakePeerSettings, LISTEN_PORT};
use crate::net::TurmoilNetwork;
use crate::outcome::Outcome;
use crate::scenario::{Fault, Scenario};
use crate::trace::{Recorder, SimSink};
use crate::SimError;

/// Extra simulated time turmoil is allowed beyond the scenario's duration (it stops by itself
/// only if a run overshoots by a whole step).
const DURATION_SLACK: Duration = Duration::from_secs(60);

/// The result of one run.
#[derive(Debug)]
pub struct RunResult {
    /// The outcome (the snapshot's content).
    pub outcome: Outcome,
    /// Expectations that failed, one sentence each (empty: the scenario passes).
    pub failures: Vec<String>,
    /// The full trace.
    pub recorder: Recorder,
    /// Simulated time covered, in milliseconds.
    pub simulated_ms: u64,
    /// Real time the run took, in milliseconds (not part of the outcome).
    pub wall_ms: u64,
    /// Every configured fault, with when it was applied, when it ended and when it fired.
    pub faults: Vec<crate::faults::FaultReport>,
    /// Every invariant checked, with its first violation if any.
    pub invariants: Vec<crate::invariants::InvariantReport>,
}

/// Runs `scenario` (named `name` in the outcome) with `seed` (the scenario's own unless
/// overridden).
///
/// # Errors
/// Harness failures only ([`SimError`]): fixtures, the data folder, a host that crashed
/// with an error. The node's misbehaviour is reported in [`RunResult::failures`].
pub fn run_scenario(scenario: &Scenario, name: &str, seed: Option<u64>) -> Result<RunResult, SimError> {
    let started = Instant::now();
    let seed = seed.unwrap_or(scenario.seed);
    let network = scenario.node.network.network();
    let epoch_ms = scenario.epoch_s * 1000;
    let datadir = tempfile::tempdir().map_err(|e| SimError::Datadir(e.to_string()))?;
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

    let mut config = Config::new(network, datadir.path().to_path_buf()).with_profile(scenario.node.profile.profile());
    config.seed = seed;
    scenario.node.timing.apply(&mut config.timing);
    config.connect = scenario.node.connect.iter().map(|h| format!("{h}:{LISTEN_PORT}")).collect();
    config.addresses = scenario.node.addresses.iter().map(|h| format!("{h}:{LISTEN_PORT}")).collect();
    if let Some(target) = scenario.node.target_outbound {
        config.target_outbound = target;
    }
    if scenario.node.listen {
        config.listen = vec![format!("0.0.0.0:{LISTEN_PORT}")];
    }
    config.trusted_start = scenario.node.trusted_start.as_ref().map(|spec| spec.build(network)).transpose()?;
    // Every fake peer (and its chain) is built once, before the node, whose checkpoints name
    // headers of those chains.
    let mut fakes = Vec::with_capacity(scenario.peers.len());
    let mut ping_logs = Vec::with_capacity(scenario.peers.len());
    for spec in &scenario.peers {
        let chain = match &spec.chain {
            Some(chain) => chain.build()?,
            None => vec![bitcoin::constants::genesis_block(network).header],
        };
        let settings = FakePeerSettings {
            version: spec.version,
            services: spec.services,
            start_height: spec.start_height,
            first_height: spec.chain.as_ref().map_or(0, crate::chain::ChainSpec::first_height),
            behaviour: spec.behaviour.clone(),
            version_delay: Duration::from_millis(spec.version_delay_ms),
            headers_delay: Duration::from_millis(spec.headers_delay_ms),
            seed,
            clock_s: fake_peer::turmoil_clock_s,
            profile: spec.profile.profile(),
        };
        let peer = Rc::new(FakePeer::new(&spec.name, network, chain, settings));
        ping_logs.push(peer.clone());
        fakes.push((spec, peer));
    }
    for checkpoint in &scenario.node.checkpoints {
        let header = fakes.iter().find(|(spec, _)| spec.name == checkpoint.peer).and_then(|(_, peer)| peer.header_at(checkpoint.height));
        let Some(header) = header else {
            return Err(SimError::Simulation(format!(
                "checkpoint at height {}: peer `{}` has no header there",
                checkpoint.height, checkpoint.peer
            )));
        };
        config.checkpoints.push((checkpoint.height, header.block_hash()));
    }
    let node_recorder = recorder.clone();
    // Connections are labelled with the peer's host name (inbound ones by reverse lookup).
    config.noban = scenario.node.noban.clone();
    if let Some(work) = &scenario.node.minimum_chain_work {
        config.minimum_chain_work = work.work().map_err(|e| SimError::Simulation(format!("node.minimum_chain_work: {e}")))?;
    }
    // The running node incarnation's command queue (`ban` faults); replaced at each restart.
    let commands: Rc<RefCell<Option<UnboundedSender<Command>>>> = Rc::new(RefCell::new(None));
    let node_commands = commands.clone();
    sim.host("node", move || {
        let config = config.clone();
        let recorder = node_recorder.clone();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        *node_commands.borrow_mut() = Some(tx);
        async move {
            let now = turmoil::since_epoch().unwrap_or_default();
            recorder.borrow_mut().start_run();
            let clock = TokioClock::new(u64::try_from(now.as_millis()).unwrap_or(u64::MAX));
            let mut sink = SimSink(recorder);
            runtime::run_with_commands(TurmoilNetwork, config, clock, &mut sink, std::future::pending(), rx).await?;
            Ok(())
        }
    });

    for (spec, peer) in fakes {
        if spec.dials_node {
            sim.host(spec.name.as_str(), move || {
                let peer = peer.clone();
                async move {
                    fake_peer::dial_loop(TurmoilNetwork, format!("node:{LISTEN_PORT}"), peer).await?;
                    Ok(())
                }
            });
        } else {
            sim.host(spec.name.as_str(), move || {
                let peer = peer.clone();
                async move {
                    let listener = TurmoilNetwork.bind(&format!("0.0.0.0:{LISTEN_PORT}")).await?;
                    fake_peer::accept_loop(TurmoilNetwork, listener, peer).await?;
                    Ok(())
                }
            });
        }
    }

    let mut faults = scenario.faults.clone();
    faults.sort_by_key(|f| f.at_ms);
    let mut next_fault = 0;
    let end = Duration::from_secs(scenario.duration_s);
    while sim.elapsed() < end {
        let elapsed_ms = u64::try_from(sim.elapsed().as_millis()).unwrap_or(u64::MAX);
        while next_fault < faults.len() && faults[next_fault].at_ms <= elapsed_ms {
            let fault = &faults[next_fault].fault;
            recorder.borrow_mut().note(elapsed_ms, format!("fault {}", describe(fault)));
            match fault {
                Fault::Partition(l) => sim.partition(l.a.as_str(), l.b.as_str()),
                Fault::Repair(l) => sim.repair(l.a.as_str(), l.b.as_str()),
                Fault::Hold(l) => sim.hold(l.a.as_str(), l.b.as_str()),
                Fault::Release(l) => sim.release(l.a.as_str(), l.b.as_str()),
                Fault::Crash(host) => sim.crash(host.as_str()),
                Fault::Restart(host) => sim.bounce(host.as_str()),
                Fault::Ban(ban) => {
                    let command = Command::Ban { host: ban.host.clone(), duration: Duration::from_secs(ban.duration_s) };
                    let delivered = commands.borrow().as_ref().is_some_and(|tx| tx.send(command).is_ok());
                    if !delivered {
                        recorder.borrow_mut().note(elapsed_ms, "fault ban not delivered: the node is not running".to_string());
                    }
                }
            }
            next_fault += 1;
        }
        sim.step().map_err(|e| SimError::Simulation(e.to_string()))?;
    }
    let simulated_ms = u64::try_from(sim.elapsed().as_millis()).unwrap_or(u64::MAX);
    // Dropping the world stops every host and closes the node's store.
    drop(sim);

    let (stored_rows, stored_tip_hash) = read_store(&datadir.path().join("headers.sqlite"), network)?;
    let recorder = Rc::try_unwrap(recorder)
        .map_err(|_| SimError::Simulation("a host outlived the simulation".into()))?
        .into_inner();
    let pings_sent = ping_logs.iter().map(|peer| (peer.name.clone(), peer.pings_sent())).collect();
    drop(ping_logs);
    let outcome = Outcome::new(name, seed, &recorder, stored_rows, stored_tip_hash, pings_sent);
    let mut failures = outcome.check(&scenario.expect);
    for needle in &scenario.expect.trace_contains {
        if !recorder.lines.iter().any(|line| line.text.contains(needle.as_str())) {
            failures.push(format!("no trace line contains {needle:?}"));
        }
    }
    for needle in &scenario.expect.trace_lacks {
        if let Some(line) = recorder.lines.iter().find(|line| line.text.contains(needle.as_str())) {
            failures.push(format!("trace line at {} ms contains {needle:?}: {}", line.at_ms, line.text));
        }
    }
    let wall_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(RunResult { outcome, failures, recorder, simulated_ms, wall_ms, faults: Vec::new(), invariants: Vec::new() })
}

/// Rows in the store and the hash of its top row, after re-checking linkage on load.
fn read_store(path: &Path, network: bitcoin::Network) -> Result<(u64, String), SimError> {
    if !path.exists() {
        return Ok((0, String::new()));
    }
    let store = Store::open(path, network).map_err(|e| SimError::Datadir(e.to_string()))?;
    let headers = store.load().map_err(|e| SimError::Datadir(format!("store after the run: {e}")))?;
    let tip = headers.last().map(|h| h.block_hash().to_string()).unwrap_or_default();
    Ok((headers.len() as u64, tip))
}

fn describe(fault: &Fault) -> String {
    match fault {
        Fault::Partition(l) => format!("partition {} {}", l.a, l.b),
        Fault::Repair(l) => format!("repair {} {}", l.a, l.b),
        Fault::Hold(l) => format!("hold {} {}", l.a, l.b),
        Fault::Release(l) => format!("release {} {}", l.a, l.b),
        Fault::Crash(h) => format!("crash {h}"),
        Fault::Restart(h) => format!("restart {h}"),
        Fault::Ban(ban) => format!("ban {} duration_s={}", ban.host, ban.duration_s),
    }
}
