//! A scenario the shrink tests share.

use crate::scenario::Scenario;

/// Three regtest peers: `p1` honest (dialled), `p2` on a fork (dialled, NoBan, with
/// expectations and a checkpoint), `p3` dialling the node; a partition of `p2`, a crash of
/// `p3` and a message fault on `p1`.
pub(super) fn three_peers() -> Scenario {
    let text = r#"{"description":"three peers","seed":4,"duration_s":600,"latency_ms_min":5,"latency_ms_max":40,
        "node":{"network":"regtest","connect":["p1","p2"],"listen":true,"noban":["p2"],
                "checkpoints":[{"height":10,"peer":"p2"}]},
        "peers":[{"name":"p1","chain":{"regtest":{"height":1200,"seed":9}},"headers_delay_ms":300},
                 {"name":"p2","chain":{"regtest":{"height":900,"seed":11,"fork":{"seed":9,"height":800}}}},
                 {"name":"p3","chain":{"regtest":{"height":1,"seed":9}},"dials_node":true,"version_delay_ms":50}],
        "faults":[{"at_ms":3000,"for_ms":40000,"fault":{"partition":{"a":"node","b":"p2"}}},
                  {"at_ms":0,"for_ms":5,"fault":{"crash":"p3"}},
                  {"at_ms":0,"fault":{"message":{"peer":"p1","command":"verack","nth":1,"action":"duplicate"}}}],
        "expect":{"peers":{"p2":{"handshake":true},"p1":{"handshake":true}}}}"#;
    Scenario::parse("three.json", text).unwrap_or_else(|e| panic!("{e}"))
}
