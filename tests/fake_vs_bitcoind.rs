//! The honest fake peer answers `getheaders` byte for byte like a real bitcoind.
//!
//! bitcoind mines a regtest chain of 2,500 blocks with a stale 20-block fork at 2,400 (mined
//! while the main branch was invalidated, then abandoned by `reconsiderblock`); the fake peer
//! gets the same active chain exported over RPC. Both are asked the same `getheaders`
//! questions over real TCP and their `headers` frames (header, checksum and payload) must be
//! identical. A difference found here is fixed in the fake peer, never in this test.

use std::rc::Rc;

use bitcoin::block::Header;
use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, Network};
use bitcoincore_rpc::RpcApi;
use headersim_tests::real::{Bitcoind, P2pClient};
use node::runtime::{Network as _, TcpNetwork};
use sim::peers::fake_peer::{self, wall_clock_s, FakePeer, FakePeerSettings};

/// Core's locator from `height` of `chain`: ten single steps, then doubling, then genesis.
fn locator(chain: &[BlockHash], height: usize) -> Vec<BlockHash> {
    let mut out = Vec::new();
    let mut h = height as i64;
    let mut step = 1;
    while h > 0 {
        out.push(chain[h as usize]);
        if out.len() >= 10 {
            step *= 2;
        }
        h -= step;
    }
    out.push(chain[0]);
    out
}

/// Starts the honest fake peer serving `chain` on a loopback port, on its own thread.
fn start_fake_peer(chain: Vec<Header>) -> String {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let local = tokio::task::LocalSet::new();
        local.block_on(&runtime, async move {
            let listener = TcpNetwork.bind("127.0.0.1:0").await.expect("bind loopback");
            sender
                .send(listener.local_addr().expect("address").to_string())
                .expect("report address");
            // The Core profile: bitcoind is the reference here (a btcd fake peer answers an
            // empty locator with an unknown stop hash by an empty `headers`, bitcoind not at all).
            let settings = FakePeerSettings {
                clock_s: wall_clock_s,
                seed: 1,
                profile: node::Profile::Core,
                ..FakePeerSettings::default()
            };
            let peer = Rc::new(FakePeer::new("fake", Network::Regtest, chain, settings));
            let _ = fake_peer::accept_loop(TcpNetwork, listener, peer).await;
        });
    });
    receiver.recv().expect("fake peer address")
}

#[test]
fn fake_peer_answers_getheaders_byte_for_byte_like_bitcoind() {
    let bitcoind = Bitcoind::start("regtest", &[]);
    let main_hashes = bitcoind.mine(2500);
    // A stale fork: invalidate 2400, mine 20 blocks elsewhere, then restore the longer branch.
    let fork_base = main_hashes[2399]; // height 2400
    bitcoind
        .rpc
        .invalidate_block(&fork_base)
        .expect("invalidateblock");
    let info: serde_json::Value = bitcoind
        .rpc
        .call("getdescriptorinfo", &["raw(52)".into()])
        .expect("descriptor");
    let descriptor = format!("raw(52)#{}", info["checksum"].as_str().expect("checksum"));
    let fork: Vec<String> = bitcoind
        .rpc
        .call("generatetodescriptor", &[20.into(), descriptor.into()])
        .expect("mine the fork");
    let fork: Vec<BlockHash> = fork.iter().map(|h| h.parse().expect("hash")).collect();
    bitcoind
        .rpc
        .reconsider_block(&fork_base)
        .expect("reconsiderblock");
    assert_eq!(
        bitcoind.rpc.get_block_count().expect("height"),
        2500,
        "the main branch is active again"
    );

    let chain = bitcoind.active_chain();
    let hashes: Vec<BlockHash> = chain.iter().map(Header::block_hash).collect();
    let fake_addr = start_fake_peer(chain.clone());

    let unknown = |n: u8| BlockHash::from_byte_array([n; 32]);
    let zero = BlockHash::all_zeros();
    let mut stale_locator: Vec<BlockHash> = fork.iter().rev().take(5).copied().collect();
    stale_locator.extend(locator(&hashes, 2399));
    let cases: Vec<(&str, Vec<BlockHash>, BlockHash)> = vec![
        ("genesis-only locator", vec![hashes[0]], zero),
        ("full locator from mid-chain", locator(&hashes, 1500), zero),
        (
            "first hashes unknown",
            [
                vec![unknown(1), unknown(2), unknown(3)],
                locator(&hashes, 1000),
            ]
            .concat(),
            zero,
        ),
        ("only unknown hashes", vec![unknown(4), unknown(5)], zero),
        ("hash_stop inside the range", vec![hashes[0]], hashes[100]),
        (
            "hash_stop below the start",
            locator(&hashes, 2300),
            hashes[10],
        ),
        ("locator on a stale fork", stale_locator, zero),
        ("locator at the tip", locator(&hashes, 2500), zero),
        (
            "locator past the tip (unknown descendants first)",
            [vec![unknown(6)], locator(&hashes, 2500)].concat(),
            zero,
        ),
        (
            "empty locator, hash_stop on the chain",
            vec![],
            hashes[1234],
        ),
        ("empty locator, unknown hash_stop", vec![], unknown(7)),
    ];

    let mut real = P2pClient::connect(&bitcoind.p2p_addr(), Network::Regtest);
    let mut fake = P2pClient::connect(&fake_addr, Network::Regtest);
    let mut differences = Vec::new();
    for (name, locator, stop) in cases {
        if locator.is_empty() && stop == unknown(7) {
            // Neither answers a request for an unknown single header; a `ping` round trip
            // shows that no `headers` came back first.
            for (who, client) in [("bitcoind", &mut real), ("fake peer", &mut fake)] {
                client.send(bitcoin::p2p::message::NetworkMessage::GetHeaders(
                    bitcoin::p2p::message_blockdata::GetHeadersMessage::new(vec![], stop),
                ));
                client.send(bitcoin::p2p::message::NetworkMessage::Ping(77));
                loop {
                    match client.read_message().1 {
                        bitcoin::p2p::message::NetworkMessage::Pong(77) => break,
                        bitcoin::p2p::message::NetworkMessage::Headers(h) => {
                            differences.push(format!("{name}: {who} answered {} headers", h.len()))
                        }
                        _ => {}
                    }
                }
            }
            continue;
        }
        let (real_frame, real_headers) = real.get_headers(locator.clone(), stop);
        let (fake_frame, fake_headers) = fake.get_headers(locator, stop);
        if real_frame != fake_frame {
            let span = |h: &[Header]| match (h.first(), h.last()) {
                (Some(first), Some(last)) => format!(
                    "{} headers, {}..{}",
                    h.len(),
                    hashes
                        .iter()
                        .position(|x| *x == first.block_hash())
                        .map_or(-1, |p| p as i64),
                    hashes
                        .iter()
                        .position(|x| *x == last.block_hash())
                        .map_or(-1, |p| p as i64)
                ),
                _ => "no headers".to_string(),
            };
            differences.push(format!(
                "{name}: bitcoind {} / fake peer {}",
                span(&real_headers),
                span(&fake_headers)
            ));
        }
    }
    assert!(
        differences.is_empty(),
        "the fake peer answers differently:\n{}",
        differences.join("\n")
    );
}
