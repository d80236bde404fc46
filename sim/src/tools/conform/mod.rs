//! `sim conform`: a scenario's scripted peers played to a real Bitcoin Core `bitcoind` and, in
//! the simulator, to the node's `core` profile; what each did is compared.
//!
//! | file | holds |
//! |---|---|
//! | `sim_side.rs` | the scenario run in the simulator with every byte each fake peer wrote ([`sim_side::digest`]: a [`sim_side::Plan`] per peer, the node's side) |
//! | `real_side.rs` | the same bytes played to bitcoind in step with its mock clock ([`real_side::play`]) |
//! | `compare.rs` | per peer: the commands sent (less [`compare::NOT_COMPARED`]), whether and when the connection was closed, the best header at the end ([`compare::Difference`]) |
//! | `manifest.rs` | [`Manifest`]: every `core` scenario of the catalog, checked or excluded with its reason |
//!
//! What is compared is each peer's *first* connection: the peer's later connections (after a
//! disconnect, the node redials a manual peer; bitcoind's `onetry` does not) are not played.

pub mod compare;
mod manifest;
pub mod real_side;
pub mod sim_side;

use std::path::{Path, PathBuf};
use std::time::Instant;

pub use manifest::{Manifest, ManifestError};

use crate::harness::runner::run_scenario_recording_peers;
use crate::real::{Bitcoind, RealError};
use crate::scenario::{NetworkName, ProfileName, Scenario};
use compare::Difference;

/// What one scenario's check found.
#[derive(Debug, Clone)]
pub struct ScenarioCheck {
    /// The scenario's name (its file stem).
    pub name: String,
    /// Every difference (empty: they agree).
    pub differences: Vec<Difference>,
    /// Simulated seconds played.
    pub simulated_s: u64,
    /// Wall seconds the check took.
    pub wall_s: f64,
}

impl ScenarioCheck {
    /// Whether the node and bitcoind agreed.
    pub fn agrees(&self) -> bool {
        self.differences.is_empty()
    }
}

/// Why a scenario could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum ConformError {
    /// The file does not load.
    #[error("{0}")]
    Load(#[from] crate::error::SimError),
    /// The scenario has something the real side cannot play.
    #[error("{name}: not comparable: {reason}")]
    NotComparable {
        /// The scenario.
        name: String,
        /// What stands in the way.
        reason: String,
    },
    /// bitcoind or a connection to it failed.
    #[error("{name}: {source}")]
    Real {
        /// The scenario.
        name: String,
        /// What failed.
        source: Box<RealError>,
    },
}

/// Why `scenario` cannot be played to bitcoind, if it cannot: only the `core` profile on
/// regtest, with no faults (a fault needs a network or a node the real side does not control).
pub fn not_comparable(scenario: &Scenario) -> Option<String> {
    if scenario.node.profile != ProfileName::Core {
        return Some("not the core profile".into());
    }
    if scenario.node.network != NetworkName::Regtest {
        return Some(
            "not regtest (bitcoind's mock clock and addconnection are regtest-only)".into(),
        );
    }
    if !scenario.faults.is_empty() {
        return Some("has faults (the real side has no simulated network or node to fault)".into());
    }
    if !scenario.node.timing.is_empty() {
        return Some("overrides the node's timers (bitcoind's are fixed)".into());
    }
    if scenario.node.trusted_start.is_some() {
        return Some("starts from a trusted header (bitcoind starts from genesis)".into());
    }
    if scenario.node.connect.iter().any(|h| h == "node") {
        return Some(
            "the node connects to itself (bitcoind cannot be dialled as a peer of its own)".into(),
        );
    }
    None
}

/// bitcoind's flags for `scenario`: its clock at the scenario's epoch, v1 transport (the
/// played peers speak v1 only; bitcoind would try BIP324 first), the scenario's minimum
/// chain work, and NoBan for [`real_side::NOBAN_IP`] both ways when the scenario gives it to
/// some peers (those peers talk from that address; the rest from 127.0.0.1).
///
/// # Errors
/// A message naming a minimum chain work that does not parse.
pub fn bitcoind_flags(scenario: &Scenario) -> Result<Vec<String>, String> {
    let mut flags = vec![
        format!("-mocktime={}", scenario.epoch_s),
        "-v2transport=0".to_string(),
    ];
    if let Some(work) = &scenario.node.minimum_chain_work {
        let work = work.work()?;
        let hex: String = work
            .to_be_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        flags.push(format!("-minimumchainwork={hex}"));
    }
    if !scenario.node.noban.is_empty() {
        flags.push(format!("-whitelist=noban,in,out@{}", real_side::NOBAN_IP));
    }
    Ok(flags)
}

/// Checks the scenario at `path` against a fresh bitcoind started from `bitcoind_exe`.
///
/// # Errors
/// [`ConformError`] if the scenario does not load, cannot be compared, or bitcoind fails.
pub fn check(path: &Path, bitcoind_exe: &Path) -> Result<ScenarioCheck, ConformError> {
    let started = Instant::now();
    let scenario = Scenario::load(path)?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Some(reason) = not_comparable(&scenario) {
        return Err(ConformError::NotComparable { name, reason });
    }
    let (result, wire) = run_scenario_recording_peers(&scenario, &name, None)?;
    let sim = sim_side::digest(&result, &wire, &scenario.node.noban);
    let real_error = |source| ConformError::Real {
        name: name.clone(),
        source: Box::new(source),
    };
    let flags = bitcoind_flags(&scenario).map_err(|reason| ConformError::NotComparable {
        name: name.clone(),
        reason,
    })?;
    let bitcoind = Bitcoind::start(bitcoind_exe, &flags).map_err(real_error)?;
    let duration_ms = scenario.duration_s * 1000;
    let blocks = scenario_blocks(&scenario)?;
    let real = real_side::play(
        &bitcoind,
        &sim.plans,
        &blocks,
        scenario.epoch_s,
        duration_ms,
    );
    keep_debug_log(&bitcoind, &name);
    let real = real.map_err(real_error)?;
    Ok(ScenarioCheck {
        name,
        differences: compare::compare(&sim, &real),
        simulated_s: scenario.duration_s,
        wall_s: started.elapsed().as_secs_f64(),
    })
}

/// Every whole block of the scenario's peers' regtest chains, by hash: what the played peers
/// serve when bitcoind asks (headers from other sources have no blocks here).
///
/// # Errors
/// A chain that does not build.
pub fn scenario_blocks(scenario: &Scenario) -> Result<real_side::Blocks, crate::error::SimError> {
    let mut blocks = real_side::Blocks::new();
    for peer in &scenario.peers {
        let Some(chain) = &peer.chain else { continue };
        for block in chain.regtest_blocks()?.into_iter().flatten() {
            blocks.insert(block.block_hash(), block);
        }
    }
    Ok(blocks)
}

/// The scenario files `manifest` marks as checked, under `dir`.
pub fn checked_paths(manifest: &Manifest, dir: &Path) -> Vec<PathBuf> {
    manifest
        .checked
        .iter()
        .map(|name| dir.join(format!("{name}.json")))
        .collect()
}

/// With `HEADERSIM_CONFORM_LOGS=DIR` in the environment, bitcoind's `debug.log` of each check is
/// copied to `DIR/NAME.debug.log` (`-debug=net`: every message and why a peer was dropped).
fn keep_debug_log(bitcoind: &Bitcoind, name: &str) {
    let Some(dir) = std::env::var_os("HEADERSIM_CONFORM_LOGS") else {
        return;
    };
    let dir = PathBuf::from(dir);
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::copy(bitcoind.debug_log(), dir.join(format!("{name}.debug.log")));
}
