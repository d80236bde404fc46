//! The node's real runtime (`runtime::run` over `tokio::net`, as the `node` binary runs it)
//! syncs the mainnet fixture from the honest fake btcd peer over loopback TCP, then a second
//! start on the same data folder resumes from the stored tip.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use node::runtime::{self, EventSink, Network, TcpNetwork, TokioClock};
use node::store::Store;
use node::{Config, Event, Node};
use sim::peers::fake_peer::{self, wall_clock_s, FakePeer, FakePeerSettings};
use sim::scenario::chain::mainnet_0_1111;
use tokio::sync::Notify;

const TIP_1111: &str = "00000000ca59764b4ff11d88ea67e641dba94a17520ebd10f1631b21a18d5805";

/// Records events and wakes the test when `done` holds.
struct Watch {
    done: fn(&Event, &Node) -> bool,
    reached: Rc<Notify>,
    events: Rc<RefCell<Vec<String>>>,
}

impl EventSink for Watch {
    fn record(&mut self, _now_ms: u64, event: &Event, node: &Node) {
        self.events.borrow_mut().push(event.to_string());
        if (self.done)(event, node) {
            self.reached.notify_one();
        }
    }
}

/// Runs the node until `done` holds for an event (30 s at most); returns the events as text.
/// The runtime drains every output of the step that satisfied `done` before it stops.
async fn run_until(config: Config, done: fn(&Event, &Node) -> bool) -> Vec<String> {
    let reached = Rc::new(Notify::new());
    let events = Rc::new(RefCell::new(Vec::new()));
    let mut sink = Watch {
        done,
        reached: reached.clone(),
        events: events.clone(),
    };
    let epoch_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let shutdown = async move {
        if tokio::time::timeout(Duration::from_secs(30), reached.notified())
            .await
            .is_err()
        {
            panic!("the node did not get there within 30 s");
        }
    };
    runtime::run(
        TcpNetwork,
        config,
        TokioClock::new(epoch_ms),
        &mut sink,
        shutdown,
    )
    .await
    .expect("the node runs");
    let events = events.borrow().clone();
    events
}

#[test]
fn node_runtime_syncs_the_mainnet_fixture_over_real_loopback_tcp_and_resumes_after_restart() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async {
        let listener = TcpNetwork.bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = listener.local_addr().expect("local address").to_string();
        let chain = mainnet_0_1111().expect("fixture");
        let settings = FakePeerSettings {
            clock_s: wall_clock_s,
            seed: 7,
            ..FakePeerSettings::default()
        };
        let peer = Rc::new(FakePeer::new(
            "peer1",
            bitcoin::Network::Bitcoin,
            chain,
            settings,
        ));
        let server = tokio::task::spawn_local(fake_peer::accept_loop(TcpNetwork, listener, peer));

        let datadir = tempfile::tempdir().expect("temp dir");
        let mut config = Config::new(bitcoin::Network::Bitcoin, datadir.path().to_path_buf());
        config.connect = vec![addr];
        config.seed = 42;

        let synced = |event: &Event, node: &Node| {
            matches!(event, Event::HeadersImported { .. }) && node.chain().tip_height() == 1111
        };
        let events = run_until(config.clone(), synced).await;
        let handshake = events
            .iter()
            .find(|e| e.starts_with("handshake_done"))
            .expect("a handshake");
        assert!(
            handshake.contains("version=70016") && handshake.contains("start_height=1111"),
            "{handshake}"
        );
        let getheaders: Vec<&String> = events
            .iter()
            .filter(|e| e.starts_with("send peer=1 getheaders"))
            .collect();
        assert_eq!(
            getheaders.len(),
            1,
            "one round trip for 1111 headers: {getheaders:?}"
        );
        assert!(
            getheaders[0].contains("locator_heights=[0]"),
            "{}",
            getheaders[0]
        );

        let store = Store::open(&config.store_path(), bitcoin::Network::Bitcoin).expect("store");
        let headers = store.load().expect("stored chain loads and links");
        assert_eq!(headers.len(), 1112);
        assert_eq!(headers[1111].block_hash().to_string(), TIP_1111);
        drop(store);

        // Second start on the same folder: the chain is loaded, the first locator starts at 1111,
        // and the peer (at the same height) is not asked again.
        let events = run_until(config.clone(), |event, _| {
            matches!(event, Event::HandshakeDone { .. })
        })
        .await;
        assert!(
            events[0].starts_with("started tip_height=1111"),
            "{}",
            events[0]
        );
        assert!(
            !events.iter().any(|e| e.contains(" getheaders ")),
            "nothing to ask at equal height: {events:?}"
        );
        server.abort();
    });
}
