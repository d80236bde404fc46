//! The runtime's resource and liveness limits, driven through an in-memory `Network` whose
//! "connections" are tokio duplex pipes handed to the test:
//!
//! * a peer the node disconnects is really closed within the grace period even if it never
//!   reads what the node still has queued for it;
//! * timers keep firing on time for every peer while another peer floods the node.

use std::cell::RefCell;
use std::io;
use std::rc::Rc;
use std::time::{Duration, Instant};

use node::runtime::{self, EventSink, Network, TokioClock};
use node::wire::{self, Address, FrameDecoder, NetworkMessage, ServiceFlags, VersionMessage};
use node::{Config, DisconnectReason, Event, Node};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::sync::{mpsc, Notify};

const PIPE_BYTES: usize = 1024;

/// Every dial succeeds at once; the far end of the pipe goes to the test.
#[derive(Clone)]
struct PipeNetwork(mpsc::UnboundedSender<(String, DuplexStream)>);

impl Network for PipeNetwork {
    type Stream = DuplexStream;
    type Listener = ();

    async fn connect(&self, addr: &str) -> io::Result<DuplexStream> {
        let (near, far) = tokio::io::duplex(PIPE_BYTES);
        self.0
            .send((addr.to_string(), far))
            .map_err(|_| io::Error::other("test gone"))?;
        Ok(near)
    }

    async fn bind(&self, _addr: &str) -> io::Result<()> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "no listening on pipes",
        ))
    }

    async fn accept(&self, _listener: &()) -> io::Result<(DuplexStream, String)> {
        std::future::pending().await
    }
}

/// Records `(elapsed since start, event text)` and wakes the test on chosen events.
struct Recorder {
    started: Instant,
    events: Events,
    wake: Rc<Notify>,
    wake_on: fn(&Event) -> bool,
}

type Events = Rc<RefCell<Vec<(Duration, String)>>>;

impl Recorder {
    /// A recorder waking on `wake_on`, with handles to its events and its wake-up.
    fn new(wake_on: fn(&Event) -> bool) -> (Recorder, Events, Rc<Notify>) {
        let (events, wake) = (Rc::new(RefCell::new(Vec::new())), Rc::new(Notify::new()));
        let recorder = Recorder {
            started: Instant::now(),
            events: events.clone(),
            wake: wake.clone(),
            wake_on,
        };
        (recorder, events, wake)
    }
}

impl EventSink for Recorder {
    fn record(&mut self, _now_ms: u64, event: &Event, _node: &Node) {
        self.events
            .borrow_mut()
            .push((self.started.elapsed(), event.to_string()));
        if (self.wake_on)(event) {
            self.wake.notify_one();
        }
    }
}

fn version(nonce: u64) -> NetworkMessage {
    let unspecified = std::net::SocketAddr::from(([0, 0, 0, 0], 0));
    let mut v = VersionMessage::new(
        ServiceFlags::NETWORK,
        0,
        Address::new(&unspecified, ServiceFlags::NONE),
        Address::new(&unspecified, ServiceFlags::NETWORK),
        nonce,
        "/pipe:0/".into(),
        0,
    );
    v.version = 70016;
    NetworkMessage::Version(v)
}

async fn recv(pipe: &mut DuplexStream, decoder: &mut FrameDecoder) -> NetworkMessage {
    let mut buf = [0u8; 4096];
    loop {
        if let Some(message) = decoder.decode_next().expect("node frames decode") {
            return message;
        }
        let n = pipe.read(&mut buf).await.expect("read");
        assert!(n > 0, "the node closed the pipe during the handshake");
        decoder.extend(&buf[..n]);
    }
}

/// Answers the node's version and verack (advertising height 0, so no getheaders follows).
async fn handshake(pipe: &mut DuplexStream, magic: wire::Magic) {
    let mut decoder = FrameDecoder::new(magic);
    assert!(matches!(
        recv(pipe, &mut decoder).await,
        NetworkMessage::Version(_)
    ));
    pipe.write_all(&wire::encode(magic, version(1)))
        .await
        .expect("write");
    pipe.write_all(&wire::encode(magic, NetworkMessage::Verack))
        .await
        .expect("write");
    while !matches!(recv(pipe, &mut decoder).await, NetworkMessage::Verack) {}
}

fn config(connect: &[&str], dir: &tempfile::TempDir) -> Config {
    let mut config = Config::new(bitcoin::Network::Regtest, dir.path().to_path_buf());
    config.connect = connect.iter().map(|s| s.to_string()).collect();
    config
}

#[test]
fn a_disconnected_peer_that_never_reads_is_closed_within_the_grace_period() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    tokio::task::LocalSet::new().block_on(&runtime, async {
        let dir = tempfile::tempdir().expect("temp dir");
        let magic = wire::magic_for(bitcoin::Network::Regtest);
        let (dials, mut pipes) = mpsc::unbounded_channel();
        let (mut sink, events, wake) = Recorder::new(|e| matches!(e, Event::Disconnected { .. }));
        let done = Rc::new(Notify::new());
        let peer = async {
            let (_, mut pipe) = pipes.recv().await.expect("the node dials");
            handshake(&mut pipe, magic).await;
            // Ask for pongs and never read them: the node's writer blocks on the full pipe.
            for nonce in 0..200 {
                pipe.write_all(&wire::encode(magic, NetworkMessage::Ping(nonce)))
                    .await
                    .expect("write ping");
            }
            // A duplicate version makes the node disconnect us.
            pipe.write_all(&wire::encode(magic, version(2)))
                .await
                .expect("write version");
            wake.notified().await;
            let closed_at = Instant::now();
            // Once the node dropped its end, our writes fail; until then they are accepted.
            let closed = tokio::time::timeout(Duration::from_secs(10), async {
                loop {
                    if pipe.write_all(&[0u8; 64]).await.is_err() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            })
            .await;
            done.notify_one();
            closed.map(|()| closed_at.elapsed())
        };
        let stop = done.clone();
        let node = runtime::run(
            PipeNetwork(dials),
            config(&["p:1"], &dir),
            TokioClock::new(0),
            &mut sink,
            async move { stop.notified().await },
        );
        let (closed, ran) = tokio::join!(peer, node);
        ran.expect("the node runs");
        let closed_after =
            closed.expect("the node still held the connection 10 s after disconnecting it");
        assert!(
            closed_after < Duration::from_secs(5),
            "closed {closed_after:?} after the disconnect"
        );
        assert!(events
            .borrow()
            .iter()
            .any(|(_, e)| e.contains("duplicate version message")));
    });
}

#[test]
fn timers_fire_on_time_while_another_peer_floods_the_node() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    tokio::task::LocalSet::new().block_on(&runtime, async {
        let dir = tempfile::tempdir().expect("temp dir");
        let magic = wire::magic_for(bitcoin::Network::Regtest);
        let (dials, mut pipes) = mpsc::unbounded_channel();
        let mut config = config(&["flooder:1", "silent:1"], &dir);
        config.timing.handshake_timeout = Duration::from_secs(1);
        let (mut sink, events, wake) = Recorder::new(|e| {
            matches!(
                e,
                Event::Disconnected {
                    reason: DisconnectReason::HandshakeTimeout { .. },
                    ..
                }
            )
        });
        let peers = async {
            let mut silent = None;
            let mut flooder = None;
            for _ in 0..2 {
                let (addr, pipe): (String, DuplexStream) =
                    pipes.recv().await.expect("the node dials");
                if addr.starts_with("silent") {
                    silent = Some(pipe)
                } else {
                    flooder = Some(pipe)
                }
            }
            let (_silent, mut flooder) = (
                silent.expect("silent dialled"),
                flooder.expect("flooder dialled"),
            );
            handshake(&mut flooder, magic).await;
            let burst: Vec<u8> = (0..200)
                .flat_map(|_| wire::encode_raw(magic, "junk", &[]))
                .collect();
            let flood = async {
                loop {
                    if flooder.write_all(&burst).await.is_err() {
                        return;
                    }
                }
            };
            tokio::select! {
                () = flood => {}
                () = wake.notified() => {}
                () = tokio::time::sleep(Duration::from_secs(4)) => {}
            }
        };
        let node = runtime::run(
            PipeNetwork(dials),
            config,
            TokioClock::new(0),
            &mut sink,
            peers,
        );
        node.await.expect("the node runs");
        let events = events.borrow();
        let connected = events
            .iter()
            .find(|(_, e)| e.contains("addr=silent:1"))
            .map(|(t, _)| *t)
            .expect("silent connected");
        let dropped = events
            .iter()
            .find(|(_, e)| e.contains("handshake not finished"))
            .map(|(t, _)| *t)
            .unwrap_or_else(|| panic!("the silent peer was never dropped: {:?}", events.last()));
        let late = dropped.saturating_sub(connected);
        assert!(
            late < Duration::from_millis(1_800),
            "1 s handshake timeout fired after {late:?} under a flood"
        );
    });
}
