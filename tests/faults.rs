//! Faults: each kind takes effect, reports when it fired, and a fault that never fires fails the
//! run. Scenarios are built inline (`sim::scenario::builder`) so each test shows its whole setup.

use sim::harness::failure::Failure;
use sim::harness::trace::PeerEnd;
use sim::scenario::builder::{chain, fault, NodeBuilder, PeerBuilder, ScenarioBuilder};
use sim::scenario::{MessageAction, ProfileName};
use sim::{RunResult, Scenario};

use node::protocol::header_chain::HeaderError;
use node::protocol::DropReason;
use node::wire::DecodeError;
use node::{DisconnectReason, Event};

/// A regtest scenario: the node (profile `profile`) dials `p1`, an honest peer with a
/// 2500-header chain, for `duration_s`; the caller adds the faults.
fn scenario(profile: ProfileName, duration_s: u64) -> ScenarioBuilder {
    Scenario::builder()
        .description("fault test")
        .seed(7)
        .duration_s(duration_s)
        .node(NodeBuilder::regtest().profile(profile).connect("p1"))
        .peer(PeerBuilder::new("p1", chain::regtest(2500, 3)))
}

fn run(scenario: ScenarioBuilder) -> RunResult {
    scenario.run("inline").unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_corrupted_headers_checksum_fires_once_btcd_reconnects_and_syncs_core_drops_the_message() {
    let corrupt = || fault::message("p1", "headers", 1, MessageAction::CorruptChecksum);
    let btcd = run(scenario(ProfileName::Btcd, 600).fault_at_ms(0, corrupt()));
    assert!(btcd.faults[0].fired_at_ms.is_some(), "the fault fired");
    assert!(btcd.trace_contains("fault fired message p1 headers #1 corrupt_checksum"));
    let first_end = btcd.outcome.host("p1").first_end();
    assert!(
        matches!(
            first_end,
            Some(PeerEnd::Disconnected(DisconnectReason::Frame(
                DecodeError::BadChecksum { .. }
            )))
        ),
        "btcd disconnects on a bad checksum: {first_end:?}"
    );
    assert_eq!(
        btcd.outcome.tip_height, 2500,
        "btcd syncs on a new connection: {:?}",
        btcd.failures
    );
    assert!(btcd.passed(), "{:?}", btcd.failures);
    // Core drops a message with a bad checksum and keeps the peer (D09), so the lost reply
    // leaves the sync waiting for Core's 15-minute headers download timeout.
    let core = run(scenario(ProfileName::Core, 120).fault_at_ms(0, corrupt()));
    assert!(core.faults[0].fired_at_ms.is_some());
    assert!(
        core.node_events()
            .any(|(line, event)| line.host.as_deref() == Some("p1")
                && matches!(
                    event,
                    Event::Dropped {
                        reason: DropReason::Frame(DecodeError::BadChecksum { .. }),
                        ..
                    }
                )),
        "Core drops the message"
    );
    assert!(
        core.outcome.host("p1").first_end().is_none(),
        "Core keeps the peer"
    );
    assert_eq!(core.outcome.tip_height, 0);
}

#[test]
fn a_message_fault_whose_message_is_never_sent_fails_the_run() {
    let result = run(scenario(ProfileName::Btcd, 60)
        .fault_at_ms(0, fault::message("p1", "headers", 50, MessageAction::Drop)));
    assert_eq!(result.faults[0].fired_at_ms, None);
    assert!(
        result.failures.iter().any(
            |f| matches!(f, Failure::FaultNeverFired { index: 0, label, .. }
                if label == "message p1 headers #50 drop")
        ),
        "{:?}",
        result.failures
    );
}

#[test]
fn a_crash_of_a_host_that_is_down_never_fires() {
    let result = run(scenario(ProfileName::Btcd, 30)
        .fault_at_ms(1000, fault::crash("p1"))
        .fault_at_ms(2000, fault::crash("p1"))
        .fault_at_ms(3000, fault::restart("p1")));
    assert_eq!(result.faults[0].fired_at_ms, Some(1000));
    assert_eq!(
        result.faults[0].end_ms,
        Some(3000),
        "the restart ends the first crash"
    );
    assert_eq!(result.faults[1].fired_at_ms, None);
    assert!(
        result.failures.iter().any(
            |f| matches!(f, Failure::FaultNeverFired { index: 1, label, .. }
                if label == "crash p1")
        ),
        "{:?}",
        result.failures
    );
}

#[test]
fn a_partition_with_for_ms_is_repaired_and_the_node_syncs_after_it() {
    let result = run(scenario(ProfileName::Btcd, 600).fault_for_ms(
        0,
        40_000,
        fault::partition("node", "p1"),
    ));
    assert_eq!(result.faults[0].fired_at_ms, Some(0));
    assert_eq!(result.faults[0].end_ms, Some(40_000));
    assert!(result.trace_contains("fault end partition node p1"));
    assert_eq!(result.outcome.tip_height, 2500, "{:?}", result.failures);
    let (first_headers, _) = result
        .node_events()
        .find(|(line, event)| {
            line.host.as_deref() == Some("p1")
                && matches!(event, Event::Received { message, .. } if message.command() == "headers")
        })
        .expect("headers");
    assert!(
        first_headers.at_ms >= 40_000,
        "no headers crossed the partition: {}",
        first_headers.at_ms
    );
}

#[test]
fn a_skewed_version_clock_fires_on_the_version_it_skews() {
    let result =
        run(scenario(ProfileName::Core, 30).fault_at_ms(0, fault::version_time_skew("p1", -7200)));
    assert!(
        result.faults[0].fired_at_ms.is_some(),
        "{:?}",
        result.failures
    );
    assert!(result.trace_contains("fault fired version_time_skew p1 offset_s=-7200"));
    assert!(result.passed(), "{:?}", result.failures);
}

#[test]
fn headers_skewed_three_hours_into_the_future_are_refused_from_their_height() {
    // Regtest headers are dated from 2011; this offset puts height 2100 three hours past the
    // scenario's epoch (1_700_000_000), beyond the two-hour future limit.
    let chain_time_2100 = 1_296_688_602 + 2100 * 600;
    let offset_s = 1_700_000_000 + 3 * 3600 - chain_time_2100;
    for profile in [ProfileName::Btcd, ProfileName::Core] {
        let result =
            run(scenario(profile, 120)
                .fault_at_ms(0, fault::header_time_skew("p1", offset_s, 2100)));
        assert!(
            result.faults[0].fired_at_ms.is_some(),
            "{profile:?}: {:?}",
            result.failures
        );
        assert_eq!(
            result.outcome.tip_height, 2099,
            "{profile:?}: the first skewed header is refused and none after it"
        );
        let end = result.outcome.host("p1").first_end();
        match profile {
            // btcd disconnects on any header failure (`ErrTimeTooNew`).
            ProfileName::Btcd => assert!(
                matches!(
                    end,
                    Some(PeerEnd::Disconnected(DisconnectReason::InvalidHeader(
                        HeaderError::TimeTooNew { .. }
                    )))
                ),
                "{profile:?}: {end:?}"
            ),
            // Core does not punish BLOCK_TIME_FUTURE: the header may become valid later.
            ProfileName::Core => assert_eq!(end, None, "{profile:?}"),
        }
    }
}

#[test]
fn close_fin_and_close_reset_mid_message_end_the_connection_from_the_peer_side() {
    // Under Core the node keeps waiting for the rest of the message and pings after 2 min; the
    // close_reset peer drops the socket with that ping unread, which resets it.
    for action in [MessageAction::CloseFin, MessageAction::CloseReset] {
        let label = action.label();
        let result = run(scenario(ProfileName::Core, 200)
            .fault_at_ms(0, fault::message("p1", "headers", 1, action.clone())));
        assert!(result.faults[0].fired_at_ms.is_some(), "{label}");
        let Some(PeerEnd::ClosedByPeer { error }) = result.outcome.host("p1").first_end() else {
            panic!("{label}: {:?}", result.outcome.host("p1").first_end());
        };
        // The transport's error is the operating system's words: the one text read here.
        let end = error.clone().unwrap_or_default();
        if action == MessageAction::CloseReset {
            assert!(
                end.to_lowercase().contains("reset"),
                "{label}: a reset, not a FIN: {end}"
            );
        } else {
            assert!(
                !end.to_lowercase().contains("reset"),
                "{label}: a FIN, not a reset: {end}"
            );
        }
    }
}

#[test]
fn a_truncated_version_desynchronises_the_stream_and_the_node_drops_that_connection() {
    let result = run(scenario(ProfileName::Btcd, 120).fault_at_ms(
        0,
        fault::message("p1", "version", 1, MessageAction::Truncate { bytes: 30 }),
    ));
    assert!(result.faults[0].fired_at_ms.is_some());
    let p1 = result.outcome.host("p1");
    assert!(
        !p1.handshake_done(),
        "the cut version never completes a handshake"
    );
    assert!(
        p1.connections().len() >= 2,
        "the node redials and syncs on a fresh connection"
    );
    assert_eq!(result.outcome.tip_height, 2500, "{:?}", result.failures);
}
