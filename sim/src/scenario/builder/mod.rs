//! A typed Rust API for scenarios, so that a `cargo test` reads like the scenario it runs.
//!
//! The builder fills in the very [`Scenario`] value the JSON loader produces (the same defaults
//! for what it leaves out) and validates it with [`Scenario::validate`], the checks the loader
//! runs, so a scenario built here and its JSON file are interchangeable: `serde_json` writes
//! one as the other.
//!
//! ```no_run
//! use sim::scenario::builder::{chain, fault, NodeBuilder, PeerBuilder};
//! use sim::scenario::{MessageAction, ProfileName};
//! use sim::Scenario;
//!
//! let result = Scenario::builder()
//!     .description("a corrupted headers checksum: btcd drops the peer and redials")
//!     .seed(7)
//!     .duration_s(600)
//!     .node(NodeBuilder::regtest().profile(ProfileName::Btcd).connect("p1"))
//!     .peer(PeerBuilder::new("p1", chain::regtest(2500, 3)))
//!     .fault_at_ms(0, fault::message("p1", "headers", 1, MessageAction::CorruptChecksum))
//!     .expect_tip_height(2500)
//!     .expect_peer("p1", |p| p.disconnect_reason("checksum"))
//!     .run("corrupt_checksum")
//!     .unwrap();
//! assert!(result.failures.is_empty(), "{:?}", result.failures);
//! ```
//!
//! What each piece sets is the field of the same name in [`crate::scenario`]; the scenario
//! format's documentation there is the reference.

use crate::error::SimError;
use crate::harness::runner::RunResult;
use crate::scenario::chain::ChainSpec;
use crate::scenario::Scenario;
use crate::scenario::{
    self, CheckpointSpec, DialsExpect, Expect, Fault, FaultStep, MinimumChainWork, NetworkName,
    NodeSpec, PeerSpec, ProfileName, TimingOverrides, TrustedStartSpec,
};
use crate::scenario::{Behaviour, ReplayScript, SendSpec, Step, TraceMatch, VersionFields};

/// What the builder's errors name where the loader's name the scenario file.
pub const BUILDER_PATH: &str = "<builder>";

impl Scenario {
    /// A builder for a scenario in Rust (see [`crate::scenario::builder`]).
    pub fn builder() -> ScenarioBuilder {
        ScenarioBuilder::default()
    }
}

/// Builds a [`Scenario`]: `seed`, `duration_s` and `node` are required, as in a scenario file;
/// everything else has the file format's default.
#[derive(Debug, Clone)]
pub struct ScenarioBuilder {
    description: String,
    seed: Option<u64>,
    epoch_s: u64,
    duration_s: Option<u64>,
    tick_ms: u64,
    latency_ms_min: u64,
    latency_ms_max: u64,
    node: Option<NodeSpec>,
    peers: Vec<PeerSpec>,
    faults: Vec<FaultStep>,
    expect: Expect,
}

impl Default for ScenarioBuilder {
    fn default() -> Self {
        ScenarioBuilder {
            description: String::new(),
            seed: None,
            epoch_s: scenario::default_epoch_s(),
            duration_s: None,
            tick_ms: scenario::default_tick_ms(),
            latency_ms_min: scenario::default_latency_ms_min(),
            latency_ms_max: scenario::default_latency_ms_max(),
            node: None,
            peers: Vec::new(),
            faults: Vec::new(),
            expect: Expect::default(),
        }
    }
}

impl ScenarioBuilder {
    /// What the scenario shows (`description`).
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = text.into();
        self
    }

    /// The seed of turmoil's, the node's and the fake peers' rngs (`seed`; required).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Simulated time to run (`duration_s`; required).
    pub fn duration_s(mut self, duration_s: u64) -> Self {
        self.duration_s = Some(duration_s);
        self
    }

    /// Simulated wall-clock start, seconds since the Unix epoch (`epoch_s`).
    pub fn epoch_s(mut self, epoch_s: u64) -> Self {
        self.epoch_s = epoch_s;
        self
    }

    /// turmoil's step (`tick_ms`).
    pub fn tick_ms(mut self, tick_ms: u64) -> Self {
        self.tick_ms = tick_ms;
        self
    }

    /// The range of the per-message network latency (`latency_ms_min`, `latency_ms_max`).
    pub fn latency_ms(mut self, min: u64, max: u64) -> Self {
        self.latency_ms_min = min;
        self.latency_ms_max = max;
        self
    }

    /// The node under test (`node`; required).
    pub fn node(mut self, node: NodeBuilder) -> Self {
        self.node = Some(node.spec);
        self
    }

    /// Adds a fake peer (`peers[]`).
    pub fn peer(mut self, peer: PeerBuilder) -> Self {
        self.peers.push(peer.spec);
        self
    }

    /// Adds a fault step (`faults[]`).
    pub fn fault(mut self, step: FaultStep) -> Self {
        self.faults.push(step);
        self
    }

    /// Adds `fault` at `at_ms`, lasting until a later step undoes it or to the end.
    pub fn fault_at_ms(self, at_ms: u64, fault: Fault) -> Self {
        self.fault(FaultStep {
            at_ms,
            for_ms: None,
            fault,
        })
    }

    /// Adds `fault` at `at_ms`, undone `for_ms` later (a fault with an undo only).
    pub fn fault_for_ms(self, at_ms: u64, for_ms: u64, fault: Fault) -> Self {
        self.fault(FaultStep {
            at_ms,
            for_ms: Some(for_ms),
            fault,
        })
    }

    /// Replaces every expectation at once (`expect`).
    pub fn expect(mut self, expect: Expect) -> Self {
        self.expect = expect;
        self
    }

    /// The best header ends at this height (`expect.tip_height`).
    pub fn expect_tip_height(mut self, height: u32) -> Self {
        self.expect.tip_height = Some(height);
        self
    }

    /// The best header ends with this hash (`expect.tip_hash`).
    pub fn expect_tip_hash(mut self, hash: impl Into<String>) -> Self {
        self.expect.tip_hash = Some(hash.into());
        self
    }

    /// The store holds this many rows after the run (`expect.stored_rows`).
    pub fn expect_stored_rows(mut self, rows: u64) -> Self {
        self.expect.stored_rows = Some(rows);
        self
    }

    /// The node sent exactly `count` messages of `command` in all (`expect.sent`).
    pub fn expect_sent(mut self, command: impl Into<String>, count: u64) -> Self {
        self.expect.sent.insert(command.into(), count);
        self
    }

    /// Every restart resumes from the stored tip (`expect.resumes_from_stored_tip`).
    pub fn expect_resumes_from_stored_tip(mut self) -> Self {
        self.expect.resumes_from_stored_tip = Some(true);
        self
    }

    /// Some trace line contains `text` (`expect.trace_contains[]`): a text for every line, or
    /// a [`TraceMatch`] bounded to a window, a host, a connection or a node run
    /// (`TraceMatch::new("dial_failed").peer("p").between_s(0, 10)`).
    pub fn expect_trace_contains(mut self, text: impl Into<TraceMatch>) -> Self {
        self.expect.trace_contains.push(text.into());
        self
    }

    /// No trace line contains `text` (`expect.trace_lacks[]`); bounded as in
    /// [`ScenarioBuilder::expect_trace_contains`].
    pub fn expect_trace_lacks(mut self, text: impl Into<TraceMatch>) -> Self {
        self.expect.trace_lacks.push(text.into());
        self
    }

    /// Expectations about the automatic outbound dials (`expect.dials`).
    pub fn expect_dials(mut self, dials: DialsExpect) -> Self {
        self.expect.dials = Some(dials);
        self
    }

    /// Expectations about the node's connections to `host` (`expect.peers.HOST`); a second
    /// call for the same host adds to the first.
    pub fn expect_peer(
        mut self,
        host: impl Into<String>,
        expect: impl FnOnce(ExpectPeer) -> ExpectPeer,
    ) -> Self {
        let host = host.into();
        let current = self.expect.peers.remove(&host).unwrap_or_default();
        let updated = expect(ExpectPeer { expect: current }).expect;
        self.expect.peers.insert(host, updated);
        self
    }

    /// The scenario, validated as the loader validates a file.
    ///
    /// # Errors
    /// [`SimError::Scenario`] naming [`BUILDER_PATH`], the field and the problem: a required
    /// field not set, or what [`Scenario::validate`] finds.
    pub fn build(self) -> Result<Scenario, SimError> {
        let missing = |field: &str, setter: &str| SimError::Scenario {
            path: BUILDER_PATH.to_string(),
            field: field.to_string(),
            message: format!("missing (set it with `ScenarioBuilder::{setter}`)"),
        };
        let scenario = Scenario {
            description: self.description,
            seed: self.seed.ok_or_else(|| missing("seed", "seed"))?,
            epoch_s: self.epoch_s,
            duration_s: self
                .duration_s
                .ok_or_else(|| missing("duration_s", "duration_s"))?,
            tick_ms: self.tick_ms,
            latency_ms_min: self.latency_ms_min,
            latency_ms_max: self.latency_ms_max,
            node: self.node.ok_or_else(|| missing("node", "node"))?,
            peers: self.peers,
            faults: self.faults,
            expect: self.expect,
        };
        scenario.validate(BUILDER_PATH)?;
        Ok(scenario)
    }

    /// Builds the scenario and runs it once as `name` (the outcome's scenario name), with its
    /// own seed.
    ///
    /// # Errors
    /// What [`ScenarioBuilder::build`] and [`crate::harness::runner::run_scenario`] return.
    pub fn run(self, name: &str) -> Result<RunResult, SimError> {
        crate::harness::runner::run_scenario(&self.build()?, name, None)
    }
}

/// The node under test (`node`).
#[derive(Debug, Clone)]
pub struct NodeBuilder {
    spec: NodeSpec,
}

impl NodeBuilder {
    /// A node on `network` with the file format's defaults: btcd profile, no peers to dial,
    /// not listening, the profile's timers.
    pub fn new(network: NetworkName) -> Self {
        NodeBuilder {
            spec: NodeSpec {
                network,
                profile: ProfileName::default(),
                connect: Vec::new(),
                automatic: Vec::new(),
                addresses: Vec::new(),
                target_outbound: None,
                listen: false,
                timing: TimingOverrides::default(),
                trusted_start: None,
                checkpoints: Vec::new(),
                noban: Vec::new(),
                minimum_chain_work: None,
                inbound_max: None,
            },
        }
    }

    /// A mainnet node.
    pub fn mainnet() -> Self {
        NodeBuilder::new(NetworkName::Mainnet)
    }

    /// A testnet3 node.
    pub fn testnet() -> Self {
        NodeBuilder::new(NetworkName::Testnet)
    }

    /// A signet node.
    pub fn signet() -> Self {
        NodeBuilder::new(NetworkName::Signet)
    }

    /// A regtest node.
    pub fn regtest() -> Self {
        NodeBuilder::new(NetworkName::Regtest)
    }

    /// Which reference it imitates (`node.profile`).
    pub fn profile(mut self, profile: ProfileName) -> Self {
        self.spec.profile = profile;
        self
    }

    /// Dials `host` as a permanent outbound peer (`node.connect[]`): a manual connection,
    /// redialled with backoff.
    pub fn connect(mut self, host: impl Into<String>) -> Self {
        self.spec.connect.push(host.into());
        self
    }

    /// Dials `host` once as an automatic full-relay outbound peer (`node.automatic[]`, Core's
    /// `addconnection HOST outbound-full-relay`): subject to the Core profile's rules for
    /// automatic peers, never redialled.
    pub fn automatic(mut self, host: impl Into<String>) -> Self {
        self.spec.automatic.push(host.into());
        self
    }

    /// Adds a candidate host for automatic outbound connections (`node.addresses[]`).
    pub fn address(mut self, host: impl Into<String>) -> Self {
        self.spec.addresses.push(host.into());
        self
    }

    /// Automatic outbound connections to keep (`node.target_outbound`).
    pub fn target_outbound(mut self, count: usize) -> Self {
        self.spec.target_outbound = Some(count);
        self
    }

    /// Accepts inbound peers (`node.listen`).
    pub fn listen(mut self) -> Self {
        self.spec.listen = true;
        self
    }

    /// Replaces every timer override at once (`node.timing`).
    pub fn timing(mut self, timing: TimingOverrides) -> Self {
        self.spec.timing = timing;
        self
    }

    /// Starts from a trusted header (`node.trusted_start`).
    pub fn trusted_start(mut self, start: TrustedStartSpec) -> Self {
        self.spec.trusted_start = Some(start);
        self
    }

    /// A btcd checkpoint: `peer`'s header at `height` (`node.checkpoints[]`).
    pub fn checkpoint(mut self, height: u32, peer: impl Into<String>) -> Self {
        self.spec.checkpoints.push(CheckpointSpec {
            height,
            peer: peer.into(),
        });
        self
    }

    /// Gives `host` Core's NoBan permission (`node.noban[]`).
    pub fn noban(mut self, host: impl Into<String>) -> Self {
        self.spec.noban.push(host.into());
        self
    }

    /// Core's `-minimumchainwork` (`node.minimum_chain_work`).
    pub fn minimum_chain_work(mut self, work: MinimumChainWork) -> Self {
        self.spec.minimum_chain_work = Some(work);
        self
    }
}

/// One setter per timer of [`TimingOverrides`], named as its field.
macro_rules! timer_setters {
    ($($field:ident),* $(,)?) => {
        impl NodeBuilder {
            $(
                #[doc = concat!("Overrides the node's timer (`node.timing.", stringify!($field), "`).")]
                pub fn $field(mut self, value: u64) -> Self {
                    self.spec.timing.$field = Some(value);
                    self
                }
            )*
        }
    };
}

timer_setters!(
    handshake_timeout_ms,
    ping_interval_ms,
    idle_timeout_ms,
    ping_timeout_ms,
    stall_tick_interval_ms,
    stall_response_timeout_ms,
    sync_stall_sample_interval_ms,
    sync_stall_max_ms,
    headers_response_time_ms,
    headers_download_timeout_base_ms,
    headers_download_timeout_per_header_us,
    max_tip_age_ms,
    retry_interval_ms,
    retry_max_ms,
    dial_timeout_ms,
    chain_sync_timeout_ms,
);

/// A fake peer (`peers[]`).
#[derive(Debug, Clone)]
pub struct PeerBuilder {
    spec: PeerSpec,
}

impl PeerBuilder {
    /// An honest peer `name` serving `chain`, with the file format's defaults (btcd profile,
    /// protocol 70016, services `NODE_NETWORK | NODE_WITNESS`, waits to be dialled).
    pub fn new(name: impl Into<String>, chain: ChainSpec) -> Self {
        PeerBuilder {
            spec: PeerSpec {
                name: name.into(),
                chain: Some(chain),
                behaviour: Behaviour::default(),
                profile: ProfileName::default(),
                version: scenario::default_version(),
                services: scenario::default_services(),
                start_height: None,
                version_fields: Default::default(),
                dials_node: false,
                version_delay_ms: 0,
                headers_delay_ms: 0,
                block_interval_ms: None,
            },
        }
    }

    /// A peer replaying a recorded real peer (no chain of its own).
    pub fn replay(name: impl Into<String>, script: ReplayScript) -> Self {
        let mut peer = PeerBuilder::new(name, ChainSpec::Mainnet { height_max: None });
        peer.spec.chain = None;
        peer.spec.behaviour = Behaviour::Replay(script);
        peer
    }

    /// The chain it serves (`chain`).
    pub fn chain(mut self, chain: ChainSpec) -> Self {
        self.spec.chain = Some(chain);
        self
    }

    /// A preset behaviour (`behaviour`), e.g. [`Behaviour::SilentAfterHandshake`].
    pub fn behaviour(mut self, behaviour: Behaviour) -> Self {
        self.spec.behaviour = behaviour;
        self
    }

    /// Scripted steps (`behaviour.script`).
    pub fn script(self, script: Script) -> Self {
        self.behaviour(Behaviour::Script(script.steps))
    }

    /// Which implementation it imitates (`profile`).
    pub fn profile(mut self, profile: ProfileName) -> Self {
        self.spec.profile = profile;
        self
    }

    /// Protocol version in its `version` (`version`).
    pub fn version(mut self, version: u32) -> Self {
        self.spec.version = version;
        self
    }

    /// Service bits in its `version` (`services`).
    pub fn services(mut self, services: u64) -> Self {
        self.spec.services = services;
        self
    }

    /// Advertised height (`start_height`).
    pub fn start_height(mut self, height: i32) -> Self {
        self.spec.start_height = Some(height);
        self
    }

    /// The other fields of every `version` it sends (`version_fields`: timestamp, addresses, a
    /// fixed nonce, user agent, relay).
    pub fn version_fields(mut self, fields: VersionFields) -> Self {
        self.spec.version_fields = fields;
        self
    }

    /// It dials the node instead of waiting to be dialled (`dials_node`).
    pub fn dials_node(mut self) -> Self {
        self.spec.dials_node = true;
        self
    }

    /// Delay before it sends its `version` (`version_delay_ms`).
    pub fn version_delay_ms(mut self, ms: u64) -> Self {
        self.spec.version_delay_ms = ms;
        self
    }

    /// Delay before each `headers` reply (`headers_delay_ms`).
    pub fn headers_delay_ms(mut self, ms: u64) -> Self {
        self.spec.headers_delay_ms = ms;
        self
    }

    /// A growing chain: one more header every `ms` (`block_interval_ms`; needs
    /// [`PeerBuilder::start_height`]).
    pub fn block_interval_ms(mut self, ms: u64) -> Self {
        self.spec.block_interval_ms = Some(ms);
        self
    }
}

/// A scripted peer's steps, in order (`behaviour.script`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Script {
    steps: Vec<Step>,
}

impl Script {
    /// No steps yet.
    pub fn new() -> Self {
        Script::default()
    }

    /// Adds any step.
    pub fn step(mut self, step: Step) -> Self {
        self.steps.push(step);
        self
    }

    /// Reads until a message with `command` arrives (`wait_for`).
    pub fn wait_for(self, command: impl Into<String>) -> Self {
        self.step(Step::WaitFor(command.into()))
    }

    /// Sends a message (`send`).
    pub fn send(self, message: SendSpec) -> Self {
        self.step(Step::Send(message))
    }

    /// Waits (`delay_ms`).
    pub fn delay_ms(self, ms: u64) -> Self {
        self.step(Step::DelayMs(ms))
    }

    /// Sends a message in two writes, `delay_ms` apart (`send_split`).
    pub fn send_split(self, message: SendSpec, first_bytes: u32, delay_ms: u64) -> Self {
        self.step(Step::SendSplit {
            send: message,
            first_bytes: Some(first_bytes),
            split_at: Vec::new(),
            delay_ms,
        })
    }

    /// Sends a message cut at each of `offsets` (bytes from its start, increasing), the pieces
    /// `delay_ms` apart (`send_split` with `split_at`).
    pub fn send_split_at(
        self,
        message: SendSpec,
        offsets: impl IntoIterator<Item = u32>,
        delay_ms: u64,
    ) -> Self {
        self.step(Step::SendSplit {
            send: message,
            first_bytes: None,
            split_at: offsets.into_iter().collect(),
            delay_ms,
        })
    }

    /// Closes the connection (`close`).
    pub fn close(self) -> Self {
        self.step(Step::Close)
    }

    /// Behaves honestly from here on (`honest`).
    pub fn honest(self) -> Self {
        self.step(Step::Honest)
    }

    /// Answers pings but never `getheaders` from here on (`answers_pings_only`).
    pub fn answers_pings_only(self) -> Self {
        self.step(Step::AnswersPingsOnly)
    }

    /// Runs `round` `times` times, adding `shift` per round to heights and nonces (`repeat`).
    pub fn repeat(self, times: u32, shift: u32, round: Script) -> Self {
        self.step(Step::Repeat {
            times,
            shift,
            steps: round.steps,
        })
    }

    /// The steps.
    pub fn into_steps(self) -> Vec<Step> {
        self.steps
    }
}

pub mod chain;
mod expect;
pub mod fault;

pub use expect::{ExpectConnection, ExpectPeer, ExpectRun};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{MessageAction, PongNonce, RawFrame, VersionNonce, VersionTimestamp};
    use std::path::PathBuf;

    fn catalog(name: &str) -> Scenario {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../scenarios")
            .join(format!("{name}.json"));
        Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn partition_then_repair_built_equals_its_file() {
        let built = Scenario::builder()
            .description(catalog("partition_then_repair").description)
            .seed(22)
            .duration_s(400)
            .node(NodeBuilder::regtest().connect("peer1"))
            .peer(PeerBuilder::new("peer1", chain::regtest(6000, 1)).headers_delay_ms(500))
            .fault_at_ms(800, fault::partition("node", "peer1"))
            .fault_at_ms(200_000, fault::repair("node", "peer1"))
            .expect_tip_height(6000)
            .expect_stored_rows(6001)
            .expect_peer("peer1", |p| {
                p.handshake(true)
                    .disconnect_reason("stalled: no `headers`")
                    .disconnected_after("getheaders", 90_000, 105_000)
                    .reconnect_backoffs_ms([5000, 10_000, 15_000, 20_000, 25_000, 30_000])
            })
            .build()
            .unwrap();
        assert_eq!(built, catalog("partition_then_repair"));
    }

    #[test]
    fn manual_and_automatic_peers_built_equal_their_file() {
        let name = "c02_services_manual_vs_automatic_core";
        let peer = |name: &str, services: u64| {
            PeerBuilder::new(name, chain::regtest(100, 1))
                .profile(ProfileName::Core)
                .services(services)
        };
        let built = Scenario::builder()
            .description(catalog(name).description)
            .seed(203)
            .duration_s(30)
            .node(
                NodeBuilder::regtest()
                    .profile(ProfileName::Core)
                    .connect("m_none")
                    .connect("m_network")
                    .automatic("a_network"),
            )
            .peer(peer("m_none", 0))
            .peer(peer("m_network", 1))
            .peer(peer("a_network", 1))
            .expect_tip_height(100)
            .expect_peer("m_none", |p| {
                p.handshake(true)
                    .never_disconnected(true)
                    .sent("getheaders", 0)
            })
            .expect_peer("m_network", |p| {
                p.handshake(true)
                    .never_disconnected(true)
                    .headers_accepted(100)
            })
            .expect_peer("a_network", |p| {
                p.handshake(false).disconnect_reason("0x9 expected")
            })
            .build()
            .unwrap();
        assert_eq!(built, catalog(name));
    }

    #[test]
    fn a_scripted_peer_built_equals_its_file() {
        let built = Scenario::builder()
            .description(catalog("w09a_message_split_across_writes_btcd").description)
            .seed(197)
            .duration_s(20)
            .node(
                NodeBuilder::regtest()
                    .profile(ProfileName::Btcd)
                    .connect("p"),
            )
            .peer(
                PeerBuilder::new("p", chain::regtest(50, 1))
                    .profile(ProfileName::Btcd)
                    .start_height(0)
                    .script(
                        Script::new()
                            .wait_for("version")
                            .send(SendSpec::Version)
                            .send(SendSpec::Sendaddrv2)
                            .send(SendSpec::Verack)
                            .wait_for("verack")
                            .send_split(SendSpec::Ping(11), 12, 100)
                            .send_split(
                                SendSpec::Headers {
                                    from_height: 1,
                                    count: 50,
                                },
                                1000,
                                100,
                            )
                            .honest(),
                    ),
            )
            .expect_tip_height(50)
            .expect_peer("p", |p| {
                p.never_disconnected(true)
                    .headers_accepted(50)
                    .sent("pong", 1)
            })
            .build()
            .unwrap();
        assert_eq!(built, catalog("w09a_message_split_across_writes_btcd"));
    }

    #[test]
    fn a_ban_across_a_restart_built_equals_its_file() {
        let built = Scenario::builder()
            .description(catalog("r03a_manual_ban_across_restart_core").description)
            .seed(303)
            .duration_s(60)
            .node(NodeBuilder::regtest().profile(ProfileName::Core).listen())
            .peer(
                PeerBuilder::new("p", chain::regtest(20, 1))
                    .profile(ProfileName::Core)
                    .dials_node(),
            )
            .fault_at_ms(10_000, fault::ban("p", 86_400))
            .fault_at_ms(30_000, fault::crash("node"))
            .fault_at_ms(30_001, fault::restart("node"))
            .expect_tip_height(20)
            .expect_peer("p", |p| {
                p.handshake(true)
                    .headers_accepted(20)
                    .disconnect_reason("banned manually for 86400 s")
                    .disconnected_at_ms(10_000, 10_001)
                    .run(1, |r| {
                        r.connections_min(3)
                            .handshakes(1)
                            .all_disconnected("banned")
                    })
            })
            .expect_peer("p", |p| {
                p.run(2, |r| {
                    r.connections_min(3)
                        .handshakes(0)
                        .all_disconnected("connection from p dropped (banned)")
                })
            })
            .build()
            .unwrap();
        assert_eq!(built, catalog("r03a_manual_ban_across_restart_core"));
    }

    #[test]
    fn refused_dials_and_bounded_trace_expectations_built_equal_their_file() {
        let name = "dial_refused_window_btcd";
        let refused = |s: u64, run: u32| {
            TraceMatch::new(format!(
                "dial_failed p:8333 error=\"p:8333: connection refused\" retry_in_ms={}",
                if s == 5 { 10_000 } else { 5000 }
            ))
            .peer("p")
            .between_s(s, s + 1)
            .run(run)
        };
        let built = Scenario::builder()
            .description(catalog(name).description)
            .seed(41)
            .duration_s(60)
            .node(
                NodeBuilder::regtest()
                    .profile(ProfileName::Btcd)
                    .connect("p")
                    .connect("q"),
            )
            .peer(PeerBuilder::new("p", chain::regtest(20, 1)))
            .peer(PeerBuilder::new("q", chain::regtest(20, 1)))
            .fault_for_ms(0, 12_000, fault::refuse_dials("p"))
            .fault_for_ms(0, 40_000, fault::hold("node", "q"))
            .fault_for_ms(44_000, 6000, fault::refuse_dials("p"))
            .fault_at_ms(45_000, fault::crash("node"))
            .fault_at_ms(46_000, fault::restart("node"))
            .expect_tip_height(20)
            .expect_stored_rows(21)
            .expect_trace_contains(refused(0, 1))
            .expect_trace_contains(refused(5, 1))
            .expect_trace_contains(
                TraceMatch::new("handshake_done p#1")
                    .connection("p", 1)
                    .between_s(15, 16),
            )
            .expect_trace_contains(
                TraceMatch::new("dial_failed q:8333 error=\"dial timed out\"")
                    .peer("q")
                    .between_s(30, 31),
            )
            .expect_trace_contains(refused(46, 2))
            .expect_trace_contains(
                TraceMatch::new("handshake_done p#")
                    .connection("p", 2)
                    .between_s(51, 52)
                    .run(2),
            )
            .expect_trace_lacks(TraceMatch::new("dial_failed").peer("p").between_s(12, 46))
            .expect_trace_lacks(TraceMatch::new("dial_failed").peer("p").from_s(52))
            .expect_trace_lacks(TraceMatch::new("connection refused").peer("q"))
            .expect_trace_lacks(TraceMatch::new("disconnect").peer("p"))
            .expect_peer("p", |p| {
                p.never_disconnected(true)
                    .reconnect_backoffs_ms([5000, 10_000, 5000])
                    .connection(1, |c| {
                        c.handshake(true)
                            .sent("version", 1)
                            .sent("getheaders", 1)
                            .received("headers", 1)
                    })
                    .connection(2, |c| c.handshake(true).sent("version", 1))
            })
            .expect_peer("q", |p| {
                p.connection(1, |c| c.handshake(true).sent("version", 1))
            })
            .build()
            .unwrap();
        assert_eq!(built, catalog(name));
    }

    #[test]
    fn raw_frames_in_pieces_built_equal_their_file() {
        let name = "wire_raw_frames_btcd";
        let built = Scenario::builder()
            .description(catalog(name).description)
            .seed(45)
            .duration_s(20)
            .node(
                NodeBuilder::regtest()
                    .profile(ProfileName::Btcd)
                    .connect("p"),
            )
            .peer(
                PeerBuilder::new("p", chain::regtest(5, 1))
                    .profile(ProfileName::Btcd)
                    .script(
                        Script::new()
                            .wait_for("version")
                            .send(SendSpec::Version)
                            .send(SendSpec::Sendaddrv2)
                            .send(SendSpec::Verack)
                            .wait_for("verack")
                            .wait_for("getheaders")
                            .send_split_at(
                                SendSpec::Headers {
                                    from_height: 1,
                                    count: 5,
                                },
                                [3, 16, 23, 100],
                                100,
                            )
                            .send_split_at(
                                SendSpec::Raw(RawFrame::new("ping", "0100000000000000")),
                                [1, 4, 16, 20, 24],
                                100,
                            )
                            .delay_ms(1000)
                            .send(SendSpec::Raw(RawFrame::with_command_hex(
                                "70696e67ff",
                                "0200000000000000",
                            ))),
                    ),
            )
            .expect_tip_height(5)
            .expect_trace_contains(
                TraceMatch::new("headers_imported p#1 received=5 accepted=5")
                    .connection("p", 1)
                    .between_s(0, 1),
            )
            .expect_trace_contains(
                TraceMatch::new("send p#1 pong nonce=0x0000000000000001")
                    .connection("p", 1)
                    .between_s(0, 1),
            )
            .expect_trace_contains(
                TraceMatch::new("send p#1 reject message=\"malformed\"")
                    .connection("p", 1)
                    .between_s(1, 2),
            )
            .expect_peer("p", |p| {
                p.handshake(true)
                    .headers_accepted(5)
                    .disconnect_reason("bad frame: invalid command bytes 70696e67ff00000000000000")
                    .connection(1, |c| {
                        c.sent("pong", 1)
                            .sent("reject", 1)
                            .received("ping", 1)
                            .received("headers", 1)
                    })
            })
            .build()
            .unwrap();
        assert_eq!(built, catalog(name));
    }

    #[test]
    fn every_version_field_and_a_borrowed_nonce_build_as_in_a_file() {
        let built = Scenario::builder()
            .seed(1)
            .duration_s(10)
            .node(NodeBuilder::regtest().connect("a").listen())
            .peer(
                PeerBuilder::new("a", chain::regtest(5, 1)).version_fields(VersionFields {
                    user_agent: Some("/a/".into()),
                    relay: Some(true),
                    ..VersionFields::default()
                }),
            )
            .peer(
                PeerBuilder::new("b", chain::regtest(5, 1))
                    .dials_node()
                    .script(
                        Script::new()
                            .send(SendSpec::VersionWith(VersionFields {
                                nonce: Some(VersionNonce::NodeVersionOf("a".into())),
                                timestamp: Some(VersionTimestamp::OffsetS(-60)),
                                ..VersionFields::default()
                            }))
                            .send(SendSpec::PongEcho(PongNonce::Zero)),
                    ),
            )
            .build()
            .unwrap();
        let text = serde_json::to_string(&built).unwrap();
        assert!(
            text.contains(
                r#""version_with":{"timestamp":{"offset_s":-60},"nonce":{"node_version_of":"a"}}"#
            ) && text.contains(r#"{"send":{"pong_echo":"zero"}}"#)
                && text.contains(r#""version_fields":{"user_agent":"/a/","relay":true}"#),
            "{text}"
        );
        assert_eq!(Scenario::parse("x.json", &text).unwrap(), built);
        let error = Scenario::builder()
            .seed(1)
            .duration_s(10)
            .node(NodeBuilder::regtest().connect("a"))
            .peer(
                PeerBuilder::new("a", chain::regtest(5, 1)).version_fields(VersionFields {
                    start_height: Some(3),
                    ..VersionFields::default()
                }),
            )
            .build()
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "<builder>: peers[0].version_fields.start_height: set it with the peer's `start_height`"
        );
    }

    #[test]
    fn a_built_scenario_is_validated_as_a_file_is_and_names_the_field() {
        let base = || {
            Scenario::builder()
                .seed(1)
                .duration_s(10)
                .node(NodeBuilder::regtest().connect("p"))
                .peer(PeerBuilder::new("p", chain::regtest(5, 1)))
        };
        let error = base()
            .fault_for_ms(0, 5, fault::restart("p"))
            .build()
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "<builder>: faults[0].for_ms: `restart p` has no undo"
        );
        let error = base()
            .fault_at_ms(0, fault::message("p", "headers", 0, MessageAction::Drop))
            .build()
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "<builder>: faults[0].fault.message.nth: must be at least 1"
        );
        let error = base()
            .expect_peer("q", |p| p.handshake(true))
            .build()
            .unwrap_err()
            .to_string();
        assert_eq!(error, "<builder>: expect.peers.q: unknown host");
        let error = Scenario::builder()
            .seed(1)
            .node(NodeBuilder::regtest())
            .build()
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "<builder>: duration_s: missing (set it with `ScenarioBuilder::duration_s`)"
        );
    }

    #[test]
    fn a_built_scenario_reads_back_from_its_json() {
        let built = Scenario::builder()
            .seed(3)
            .duration_s(30)
            .node(
                NodeBuilder::regtest()
                    .profile(ProfileName::Core)
                    .connect("p")
                    .handshake_timeout_ms(5000)
                    .noban("p"),
            )
            .peer(
                PeerBuilder::new("p", chain::regtest_fork(30, 2, 1, 20))
                    .behaviour(Behaviour::SilentAfterHandshake),
            )
            .fault_for_ms(1000, 2000, fault::latency("node", "p", 300))
            .expect_trace_contains("tip_changed")
            .build()
            .unwrap();
        let text = serde_json::to_string(&built).unwrap();
        assert_eq!(Scenario::parse("x.json", &text).unwrap(), built);
        assert_eq!(built.node.timing.handshake_timeout_ms, Some(5000));
    }
}
