//! Every scenario file: its expectations hold, two runs in this process give byte-identical
//! traces, and its outcome equals the reviewed insta snapshot in `snapshots/` (under `CI=true`
//! insta writes nothing, so a missing or changed snapshot fails).
//!
//! The regressions in `scenarios/regressions/` (shrunk by `sim shrink`) are checked the same
//! way, each its own test in `mod regressions`, against `snapshots/regressions/NAME.snap`; the
//! outcome names them by their file stem, as `sim suite` does.

use std::path::Path;

use headersim_tests::{repo_root, scenario_files, scenario_path};
use sim::{run_scenario, Scenario};

/// Runs the scenario file `path` as `name` twice, then compares its outcome with the snapshot
/// `NAME.snap` in `snapshots`.
fn check(path: &Path, name: &str, snapshots: &Path) {
    let scenario = Scenario::load(path).unwrap_or_else(|e| panic!("{e}"));
    let first = run_scenario(&scenario, name, None).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(
        first.failures.is_empty(),
        "{name} failed:\n  {}\nreproduce: cargo run --release -p sim -- run {} --trace",
        sim::failure::joined(&first.failures, "\n  "),
        path.display()
    );
    let second = run_scenario(&scenario, name, None).unwrap_or_else(|e| panic!("{name}: {e}"));
    let (a, b) = (first.recorder.text(), second.recorder.text());
    if a != b {
        let line = a
            .lines()
            .zip(b.lines())
            .position(|(x, y)| x != y)
            .unwrap_or(a.lines().count().min(b.lines().count()));
        panic!(
            "{name}: two runs with seed {} diverge at trace line {line}:\n  first:  {:?}\n  second: {:?}",
            scenario.seed,
            a.lines().nth(line),
            b.lines().nth(line)
        );
    }
    insta::with_settings!({
        snapshot_path => snapshots,
        prepend_module_to_snapshot => false,
        omit_expression => true,
        description => scenario.description.clone(),
    }, {
        insta::assert_json_snapshot!(name, first.outcome);
    });
}

macro_rules! scenarios {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let name = stringify!($name);
                check(&scenario_path(name), name, &repo_root().join("snapshots"));
            }
        )*

        #[test]
        fn every_scenario_file_has_a_test_and_every_test_a_file() {
            let listed: Vec<String> = vec![$(stringify!($name).to_string()),*];
            let files: Vec<String> = scenario_files().into_iter().map(|(name, _)| name).collect();
            assert_eq!(files, listed, "scenarios/ and the list in tests/scenarios.rs differ");
        }
    };
}

/// One test per file of `scenarios/regressions/`, in `mod regressions` (so a regression may
/// share a name with a scenario), and the check that the files and the list agree. The list
/// may be empty.
macro_rules! regressions {
    ($($name:ident),* $(,)?) => {
        mod regressions {
            $(
                #[test]
                fn $name() {
                    let name = stringify!($name);
                    let snapshots = headersim_tests::repo_root().join("snapshots").join("regressions");
                    super::check(&headersim_tests::regression_path(name), name, &snapshots);
                }
            )*

            #[test]
            fn every_regression_file_has_a_test_and_every_test_a_file() {
                let listed: Vec<String> = vec![$(stringify!($name).to_string()),*];
                let files: Vec<String> = headersim_tests::regression_files().into_iter().map(|(name, _)| name).collect();
                assert_eq!(files, listed, "scenarios/regressions/ and the `regressions!` list in tests/scenarios.rs differ");
            }
        }
    };
}

// Shrunk scenarios that failed before a fix (or with a deliberately injected bug) and pass
// now; add each file's stem here (scenarios/regressions/README.md).
regressions!(
    deliberate_boundary_off_by_one,
    deliberate_equal_work_reorg,
    deliberate_follow_up_from_best,
    deliberate_idle_timer_not_reset,
    deliberate_inbound_never_sync_peer,
    deliberate_locator_without_doubling,
    deliberate_ping_nonce_unchecked,
    deliberate_redial_without_backoff,
    deliberate_rejected_batch_stored,
    deliberate_stall_deadline_never_set,
);

scenarios!(
    b01_short_batch_btcd,
    b01_short_batch_core,
    b02_multi_batch_4500_btcd,
    b02_multi_batch_4500_core,
    b03_chain_of_exactly_2000_btcd,
    b03_chain_of_exactly_2000_core,
    b05_more_than_2000_btcd,
    b05_more_than_2000_core,
    b06_unsolicited_empty_headers_btcd,
    b06_unsolicited_empty_headers_core,
    b08_resent_known_headers_btcd,
    b08_resent_known_headers_core,
    f01_fork_more_work_btcd,
    f01_fork_more_work_core,
    f03_fork_less_work_btcd,
    f03_fork_less_work_core,
    f03b_low_work_fork_far_below_tip_btcd,
    f03b_low_work_fork_far_below_tip_core,
    f05_announcements_btcd,
    f05_announcements_core,
    f05b_inv_announcement_btcd,
    f05b_inv_announcement_core,
    fork_more_work_wins,
    h01_outbound_handshake_btcd,
    h01_outbound_handshake_core,
    h02_inbound_handshake_btcd,
    h02_inbound_handshake_core,
    h03_peer_sends_nothing_btcd,
    h03_peer_sends_nothing_core,
    h05_first_message_not_version_btcd,
    h05_first_message_not_version_core,
    h06_message_before_verack_btcd,
    h06_message_before_verack_core,
    h07a_duplicate_version_after_handshake_btcd,
    h07a_duplicate_version_after_handshake_core,
    h07b_duplicate_version_before_verack_btcd,
    h07b_duplicate_version_before_verack_core,
    h09_protocol_versions_btcd,
    h09_protocol_versions_core,
    h11_outbound_services_btcd,
    h11_outbound_services_core,
    h12_feature_negotiation_btcd,
    h12_feature_negotiation_core,
    handshake_modern_peer_feature_messages,
    handshake_self_connection,
    handshake_timeout_overridden,
    idle_after_first_headers,
    inbound_handshake_and_serving,
    invalid_bad_pow_in_batch,
    m01_one_initial_sync_peer_btcd,
    m01_one_initial_sync_peer_core,
    m03_sync_peer_disconnects_btcd,
    m03_sync_peer_disconnects_core,
    m04_sync_peer_invalid_header_btcd,
    m04_sync_peer_invalid_header_core,
    mainnet_sync_0_1111,
    p01_answers_ping_btcd,
    p01_answers_ping_core,
    p02_ping_cadence_btcd,
    p02_ping_cadence_core,
    p04_silent_after_handshake_btcd,
    p04_silent_after_handshake_core,
    partition_then_repair,
    r01_restart_mid_sync_btcd,
    r01_restart_mid_sync_core,
    r03_discouragement_across_restart_btcd,
    r03_discouragement_across_restart_core,
    r03a_manual_ban_across_restart_btcd,
    r03a_manual_ban_across_restart_core,
    r05_dial_failures_btcd,
    r05_dial_failures_counter_reset_btcd,
    real_mainnet_0_10236,
    real_mainnet_822528_830592_trusted_start,
    real_mainnet_stale_823226_competing_branch,
    real_mainnet_trusted_start_crash_and_restart,
    real_signet_0_2015,
    real_testnet3_0_9999,
    recorded_bitcoind_regtest_sync,
    regtest_batches_4000_btcd,
    regtest_batches_4000_core,
    regtest_batches_4001,
    reorg_btcd_real_pow_fork,
    reorg_deep_fork_2100_below_tip_btcd,
    reorg_deep_fork_2100_below_tip_core,
    s01_getheaders_never_answered_btcd,
    s01_getheaders_never_answered_core,
    s03_empty_headers_claiming_more_btcd,
    s03_empty_headers_claiming_more_core,
    s04_headers_sync_timeout_core,
    s05_headers_sync_timeout_noban_core,
    s07a_stall_mid_download_btcd,
    s07b_silent_sync_peer_btcd,
    s08_stall_at_same_height_btcd,
    s09a_chain_sync_eviction_silent_core,
    s09b_chain_sync_eviction_lagging_core,
    s09c_chain_sync_benchmark_kept_core,
    s09d_chain_sync_caught_up_core,
    s09e_chain_sync_protection_core,
    stalled_sync_peer_is_replaced,
    v01_invalid_pow_btcd,
    v01_invalid_pow_core,
    v03_non_continuous_btcd,
    v03_non_continuous_core,
    v04_wrong_difficulty_bits_btcd,
    v04_wrong_difficulty_bits_core,
    v06_time_too_new_btcd,
    v06_time_too_new_core,
    v07_outdated_block_version_btcd,
    v07_outdated_block_version_core,
    v09a_checkpoint_mismatch_btcd,
    v09b_fork_below_checkpoint_btcd,
    v10_low_work_short_message_core,
    v10b_low_work_noban_core,
    v11_low_work_presync_core,
    v11b_low_work_redownload_core,
    v11c_low_work_redownload_gap_core,
    v12_unconnecting_announcements_btcd,
    v12_unconnecting_announcements_core,
    v12b_unconnecting_after_empty_headers_btcd,
    v12b_unconnecting_after_empty_headers_core,
    w01_wrong_magic_btcd,
    w01_wrong_magic_core,
    w03_oversized_length_btcd,
    w03_oversized_length_core,
    w04_junk_flood_btcd,
    w04_junk_flood_core,
    w06_unknown_command_btcd,
    w06_unknown_command_core,
    w07_short_payload_btcd,
    w07_short_payload_core,
    w09a_message_split_across_writes_btcd,
    w09a_message_split_across_writes_core,
    w09b_close_mid_message_btcd,
    w09b_close_mid_message_core,
    wire_bad_checksum_btcd,
    wire_bad_checksum_core,
);
