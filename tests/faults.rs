//! Faults: each kind takes effect, reports when it fired, and a fault that never fires fails
//! the run. Scenarios are built inline so each test shows its whole setup.

use node::protocol::header_chain::HeaderError;
use node::wire::DecodeError;
use node::DisconnectReason;
use sim::failure::Failure;
use sim::trace::PeerEnd;
use sim::{run_scenario, RunResult, Scenario};

/// A regtest scenario: the node (profile `profile`) dials `p1`, an honest peer with a
/// 2500-header chain, for `duration_s`, with `faults` (JSON array).
fn scenario(profile: &str, duration_s: u64, faults: &str) -> Scenario {
    let text = format!(
        r#"{{"description":"fault test","seed":7,"duration_s":{duration_s},
            "node":{{"network":"regtest","profile":"{profile}","connect":["p1"]}},
            "peers":[{{"name":"p1","chain":{{"regtest":{{"height":2500,"seed":3}}}}}}],
            "faults":{faults},
            "expect":{{}}}}"#
    );
    Scenario::parse("inline.json", &text).unwrap_or_else(|e| panic!("{e}"))
}

fn run(scenario: &Scenario) -> RunResult {
    run_scenario(scenario, "inline", None).unwrap_or_else(|e| panic!("{e}"))
}

fn trace_has(result: &RunResult, needle: &str) -> bool {
    result
        .recorder
        .lines
        .iter()
        .any(|l| l.text.contains(needle))
}

#[test]
fn a_corrupted_headers_checksum_fires_once_btcd_reconnects_and_syncs_core_drops_the_message() {
    let faults = r#"[{"at_ms":0,"fault":{"message":{"peer":"p1","command":"headers","nth":1,"action":"corrupt_checksum"}}}]"#;
    let btcd = run(&scenario("btcd", 600, faults));
    assert!(btcd.faults[0].fired_at_ms.is_some(), "the fault fired");
    assert!(trace_has(
        &btcd,
        "fault fired message p1 headers #1 corrupt_checksum"
    ));
    let first_end = btcd.outcome.connections[0].disconnect_reason();
    assert!(
        matches!(
            first_end,
            Some(DisconnectReason::Frame(DecodeError::BadChecksum { .. }))
        ),
        "btcd disconnects on a bad checksum: {first_end:?}"
    );
    assert_eq!(
        btcd.outcome.tip_height, 2500,
        "btcd syncs on a new connection: {:?}",
        btcd.failures
    );
    assert!(btcd.failures.is_empty(), "{:?}", btcd.failures);
    // Core drops a message with a bad checksum and keeps the peer (D09), so the lost reply
    // leaves the sync waiting for Core's 15-minute headers download timeout.
    let core = run(&scenario("core", 120, faults));
    assert!(core.faults[0].fired_at_ms.is_some());
    assert!(trace_has(&core, "dropped p1#"), "Core drops the message");
    assert!(
        core.outcome.connections[0].end.is_none(),
        "Core keeps the peer"
    );
    assert_eq!(core.outcome.tip_height, 0);
}

#[test]
fn a_message_fault_whose_message_is_never_sent_fails_the_run() {
    let faults = r#"[{"at_ms":0,"fault":{"message":{"peer":"p1","command":"headers","nth":50,"action":"drop"}}}]"#;
    let result = run(&scenario("btcd", 60, faults));
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
    let faults = r#"[{"at_ms":1000,"fault":{"crash":"p1"}},{"at_ms":2000,"fault":{"crash":"p1"}},{"at_ms":3000,"fault":{"restart":"p1"}}]"#;
    let result = run(&scenario("btcd", 30, faults));
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
    let faults = r#"[{"at_ms":0,"for_ms":40000,"fault":{"partition":{"a":"node","b":"p1"}}}]"#;
    let result = run(&scenario("btcd", 600, faults));
    assert_eq!(result.faults[0].fired_at_ms, Some(0));
    assert_eq!(result.faults[0].end_ms, Some(40_000));
    assert!(trace_has(&result, "fault end partition node p1"));
    assert_eq!(result.outcome.tip_height, 2500, "{:?}", result.failures);
    let first_headers = result
        .recorder
        .lines
        .iter()
        .find(|l| l.text.contains("recv p1#") && l.text.contains(" headers "))
        .expect("headers");
    assert!(
        first_headers.at_ms >= 40_000,
        "no headers crossed the partition: {}",
        first_headers.at_ms
    );
}

#[test]
fn a_skewed_version_clock_fires_on_the_version_it_skews() {
    let faults = r#"[{"at_ms":0,"fault":{"version_time_skew":{"peer":"p1","offset_s":-7200}}}]"#;
    let result = run(&scenario("core", 30, faults));
    assert!(
        result.faults[0].fired_at_ms.is_some(),
        "{:?}",
        result.failures
    );
    assert!(trace_has(
        &result,
        "fault fired version_time_skew p1 offset_s=-7200"
    ));
    assert!(result.failures.is_empty(), "{:?}", result.failures);
}

#[test]
fn headers_skewed_three_hours_into_the_future_are_refused_from_their_height() {
    // Regtest headers are dated from 2011; this offset puts height 2100 three hours past the
    // scenario's epoch (1_700_000_000), beyond the two-hour future limit.
    let chain_time_2100 = 1_296_688_602 + 2100 * 600;
    let offset_s = 1_700_000_000 + 3 * 3600 - chain_time_2100;
    let faults = format!(
        r#"[{{"at_ms":0,"fault":{{"header_time_skew":{{"peer":"p1","offset_s":{offset_s},"from_height":2100}}}}}}]"#
    );
    for profile in ["btcd", "core"] {
        let result = run(&scenario(profile, 120, &faults));
        assert!(
            result.faults[0].fired_at_ms.is_some(),
            "{profile}: {:?}",
            result.failures
        );
        assert_eq!(
            result.outcome.tip_height, 2099,
            "{profile}: the first skewed header is refused and none after it"
        );
        let end = result.outcome.connections[0].end.clone();
        match profile {
            // btcd disconnects on any header failure (`ErrTimeTooNew`).
            "btcd" => assert!(
                matches!(
                    &end,
                    Some(PeerEnd::Disconnected(DisconnectReason::InvalidHeader(
                        HeaderError::TimeTooNew { .. }
                    )))
                ),
                "{profile}: {end:?}"
            ),
            // Core does not punish BLOCK_TIME_FUTURE: the header may become valid later.
            _ => assert_eq!(end, None, "{profile}"),
        }
    }
}

#[test]
fn close_fin_and_close_reset_mid_message_end_the_connection_from_the_peer_side() {
    // Under Core the node keeps waiting for the rest of the message and pings after 2 min; the
    // close_reset peer drops the socket with that ping unread, which resets it.
    for action in ["close_fin", "close_reset"] {
        let faults = format!(
            r#"[{{"at_ms":0,"fault":{{"message":{{"peer":"p1","command":"headers","nth":1,"action":"{action}"}}}}}}]"#
        );
        let result = run(&scenario("core", 200, &faults));
        assert!(result.faults[0].fired_at_ms.is_some(), "{action}");
        let Some(PeerEnd::ClosedByPeer { error }) = &result.outcome.connections[0].end else {
            panic!("{action}: {:?}", result.outcome.connections[0].end);
        };
        // The transport's error is the operating system's words: the one text read here.
        let end = error.clone().unwrap_or_default();
        if action == "close_reset" {
            assert!(
                end.to_lowercase().contains("reset"),
                "{action}: a reset, not a FIN: {end}"
            );
        } else {
            assert!(
                !end.to_lowercase().contains("reset"),
                "{action}: a FIN, not a reset: {end}"
            );
        }
    }
}

#[test]
fn a_truncated_version_desynchronises_the_stream_and_the_node_drops_that_connection() {
    let faults = r#"[{"at_ms":0,"fault":{"message":{"peer":"p1","command":"version","nth":1,"action":{"truncate":{"bytes":30}}}}}]"#;
    let result = run(&scenario("btcd", 120, faults));
    assert!(result.faults[0].fired_at_ms.is_some());
    let first = &result.outcome.connections[0];
    assert!(
        first.handshake_at_ms.is_none(),
        "the cut version never completes a handshake"
    );
    assert!(
        result.outcome.connections.len() >= 2,
        "the node redials and syncs on a fresh connection"
    );
    assert_eq!(result.outcome.tip_height, 2500, "{:?}", result.failures);
}
