//! Smoke test of `sim::tools::bench::bitcoind`: one short side-by-side run (4,000 headers, two
//! batches) of the real `node` binary and the real bitcoind against the fake peer, well under
//! 10 s. The figures are not checked (performance is never asserted in tests); that both sides
//! reach the tip, and that the node's store holds it, is.

use headersim_tests::real::{bitcoind_path, workspace_binary};

#[test]
fn node_and_bitcoind_both_sync_4000_headers_from_the_fake_peer() {
    let result = sim::tools::bench::bitcoind::header_sync_side_by_side(
        4000,
        1,
        &workspace_binary("node"),
        &bitcoind_path(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(result.headers, 4000);
    assert_eq!((result.node_runs.len(), result.bitcoind_runs.len()), (1, 1));
    for sample in result.node_runs.iter().chain(&result.bitcoind_runs) {
        assert!(
            sample.connect_to_first_getheaders_s <= sample.connect_to_tip_s,
            "{result:#?}"
        );
        assert!(
            sample.connect_to_tip_s > 0.0 && sample.connect_to_tip_s <= sample.spawn_to_tip_s,
            "{result:#?}"
        );
    }
    println!("{result}");
}
