//! How big a scenario is ([`Size`]), for the before/after summary.

use super::output::to_json;
use crate::scenario::chain::ChainSpec;
use crate::scenario::Scenario;

/// Height a mainnet chain without `height_max` ends at (the carried fixture's tip).
pub(super) const MAINNET_FIXTURE_HEIGHT: u32 = 1111;

/// How big a scenario is, for the before/after summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    /// Fake peers.
    pub peers: usize,
    /// Fault steps.
    pub faults: usize,
    /// The peers' chain tip heights, summed (a `replay` peer without a chain counts 0; a file
    /// chain whose file cannot be read counts 0).
    pub chain_headers: u64,
    /// Simulated seconds.
    pub duration_s: u64,
    /// Bytes of its pretty JSON file ([`to_json`]), trailing newline included.
    pub json_bytes: usize,
}

impl Size {
    /// The size of `scenario`.
    pub fn of(scenario: &Scenario) -> Size {
        Size {
            peers: scenario.peers.len(),
            faults: scenario.faults.len(),
            chain_headers: scenario
                .peers
                .iter()
                .filter_map(|p| p.chain.as_ref())
                .map(chain_tip_height)
                .sum(),
            duration_s: scenario.duration_s,
            json_bytes: to_json(scenario).map_or(0, |json| json.len()),
        }
    }
}

/// The tip height of a chain: from the spec for regtest and mainnet, by building it otherwise.
fn chain_tip_height(spec: &ChainSpec) -> u64 {
    match spec {
        ChainSpec::Regtest { height, .. } => u64::from(*height),
        ChainSpec::Mainnet { height_max } => {
            u64::from(height_max.unwrap_or(MAINNET_FIXTURE_HEIGHT))
        }
        _ => spec.build().map_or(0, |chain| {
            (u64::from(spec.first_height()) + chain.len() as u64).saturating_sub(1)
        }),
    }
}
