//! PLACEHOLDER random scenario generator, only so that `sim explore` builds and runs: one to
//! three honest fake peers serving the same regtest chain, whose height and peer count follow
//! the seed, no faults and no expectations (so only the harness's invariants can fail a run).
//! The real generator replaces this file wholesale; it must keep [`generate`]'s signature.

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::chain::ChainSpec;
use crate::fake_peer::Behaviour;
use crate::scenario::{Expect, NetworkName, NodeSpec, PeerSpec, ProfileName, Scenario};

/// The scenario of `seed`: the same seed always gives the same scenario, and the scenario's
/// own `seed` is `seed`, so running it alone (`sim run FILE`) reproduces the explored run.
pub fn generate(seed: u64) -> Scenario {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let height = 1 + rng.next_u32() % 3000;
    let chain_seed = u64::from(rng.next_u32());
    let peer_count = 1 + rng.next_u32() % 3;
    let names: Vec<String> = (1..=peer_count).map(|i| format!("p{i}")).collect();
    let peers = names
        .iter()
        .map(|name| PeerSpec {
            name: name.clone(),
            chain: Some(ChainSpec::Regtest { height, seed: chain_seed, fork: None }),
            behaviour: Behaviour::Honest,
            profile: ProfileName::Btcd,
            version: 70016,
            services: 0x9,
            start_height: None,
            dials_node: false,
            version_delay_ms: 0,
            headers_delay_ms: 0,
        })
        .collect();
    Scenario {
        description: format!("placeholder explore scenario: {peer_count} honest peer(s), regtest height {height}"),
        seed,
        epoch_s: 1_700_000_000,
        duration_s: 300,
        tick_ms: 10,
        latency_ms_min: 5,
        latency_ms_max: 20,
        node: NodeSpec {
            network: NetworkName::Regtest,
            profile: ProfileName::Btcd,
            connect: names,
            addresses: Vec::new(),
            target_outbound: None,
            listen: false,
            timing: Default::default(),
            trusted_start: None,
            checkpoints: Vec::new(),
            noban: Vec::new(),
            minimum_chain_work: None,
        },
        peers,
        faults: Vec::new(),
        expect: Expect::default(),
    }
}
