//! The tokio shell around the sans-IO [`Node`]: Bitcoin Core's two loops with btcd's handler
//! names.
//!
//! * One **core task** owns the [`Node`] and the [`Store`]. It waits on a single bounded queue
//!   of inputs and on the node's next timer, executes the node's outputs in order, and writes
//!   each best-chain change to SQLite before it handles the next input.
//! * Per peer an **`in_handler`** task reads bytes, decodes frames and queues messages to the
//!   core task, and an **`out_handler`** task writes the frames queued for it by the core task
//!   (a bounded queue; a full queue disconnects the peer).
//! * A **listener** task per listen address and a short-lived **dialer** task per dial.
//!
//! Every task is spawned with `tokio::task::spawn_local`, so [`run`] must be called inside a
//! `tokio::task::LocalSet` on a current-thread runtime (turmoil runs hosts that way; the binary
//! and the tests do the same). The shell is generic over [`Network`] and [`Clock`]: the binary
//! uses [`TcpNetwork`], the simulator turmoil's TCP; both use [`TokioClock`], which follows
//! tokio's clock (paused and advanced by turmoil in simulation).

use std::collections::BTreeMap;
use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::protocol::header_chain::{ChainUpdate, HeaderChain, LoadError};
use crate::protocol::{Direction, Event, Node, Output, PeerId, TargetId};
use crate::store::{Store, StoreError};
use crate::wire::{self, DecodeError, FrameDecoder, NetworkMessage};

/// Bytes read from a socket at a time.
const READ_CHUNK_BYTES: usize = 64 * 1024;

/// Capacity of the queue from all `in_handler`s, listeners and dialers to the core task. When
/// it is full, readers wait (TCP back-pressure) instead of buffering without bound.
const CORE_QUEUE_MAX: usize = 1024;

/// The node's source of time.
pub trait Clock {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
}

/// A clock that follows tokio's (pausable) clock from a fixed epoch: the real wall-clock time
/// at start in the binary, the scenario's epoch plus elapsed simulated time under turmoil.
#[derive(Debug, Clone)]
pub struct TokioClock {
    epoch_ms: u64,
    start: tokio::time::Instant,
}

impl TokioClock {
    /// A clock reading `epoch_ms` now. Must be called inside a tokio runtime.
    pub fn new(epoch_ms: u64) -> TokioClock {
        TokioClock { epoch_ms, start: tokio::time::Instant::now() }
    }
}

impl Clock for TokioClock {
    fn now_ms(&self) -> u64 {
        let elapsed_ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.epoch_ms.saturating_add(elapsed_ms)
    }
}

/// How the shell opens connections: real TCP or a simulated network.
pub trait Network: Clone + 'static {
    /// A connected byte stream.
    type Stream: AsyncRead + AsyncWrite + Unpin + 'static;
    /// A bound listener.
    type Listener: 'static;
    /// Connects to `addr` (`host:port`).
    fn connect(&self, addr: &str) -> impl Future<Output = io::Result<Self::Stream>>;
    /// Binds a listener on `addr` (`host:port`).
    fn bind(&self, addr: &str) -> impl Future<Output = io::Result<Self::Listener>>;
    /// Accepts one connection; returns the stream and a label for the remote end.
    fn accept(&self, listener: &Self::Listener) -> impl Future<Output = io::Result<(Self::Stream, String)>>;
}

/// Real TCP through `tokio::net`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TcpNetwork;

impl Network for TcpNetwork {
    type Stream = tokio::net::TcpStream;
    type Listener = tokio::net::TcpListener;

    async fn connect(&self, addr: &str) -> io::Result<Self::Stream> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(stream)
    }

    async fn bind(&self, addr: &str) -> io::Result<Self::Listener> {
        tokio::net::TcpListener::bind(addr).await
    }

    async fn accept(&self, listener: &Self::Listener) -> io::Result<(Self::Stream, String)> {
        let (stream, remote) = listener.accept().await?;
        stream.set_nodelay(true)?;
        Ok((stream, remote.to_string()))
    }
}

/// Receives every [`Event`] with the time it happened.
pub trait EventSink {
    /// Called in order for each event; `node` is the state after it.
    fn record(&mut self, now_ms: u64, event: &Event, node: &Node);
}

/// What can stop the node.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The data folder could not be created.
    #[error("cannot create data folder {path}: {source}")]
    Datadir {
        /// The folder.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The header store failed.
    #[error("header store: {0}")]
    Store(#[from] StoreError),
    /// The stored chain is not a valid chain for this network.
    #[error("stored chain: {0}")]
    Load(#[from] LoadError),
    /// A listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// The I/O error.
        source: io::Error,
    },
}

enum CoreInput<S> {
    Dialed { target: TargetId, addr: String, result: io::Result<S> },
    Accepted { stream: S, addr: String },
    Message { peer: PeerId, message: NetworkMessage },
    FrameError { peer: PeerId, error: DecodeError },
    Closed { peer: PeerId, error: Option<String> },
}

enum OutCommand {
    Frame(Vec<u8>),
    Close,
}

struct PeerHandle {
    out: mpsc::Sender<OutCommand>,
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
}

/// Opens the store in `config.datadir`, loads and re-checks the stored chain, and returns it
/// with the store (writing genesis into an empty store).
pub fn open_chain(config: &Config) -> Result<(Store, HeaderChain), NodeError> {
    std::fs::create_dir_all(&config.datadir)
        .map_err(|source| NodeError::Datadir { path: config.datadir.clone(), source })?;
    let mut store = Store::open(&config.store_path(), config.network)?;
    let headers = store.load()?;
    let empty = headers.is_empty();
    let chain = HeaderChain::from_stored(config.network, headers)?;
    if empty {
        store.apply(&ChainUpdate { start_height: 0, headers: vec![chain.tip_header()] })?;
    }
    Ok((store, chain))
}

/// Runs the node until `shutdown` completes or a fatal error occurs. Must run inside a
/// `LocalSet` (see the module docs).
///
/// # Errors
/// Store, load and bind failures ([`NodeError`]). Peer misbehaviour is never an error: it
/// disconnects that peer with a reason.
pub async fn run<N, C, S>(
    net: N,
    config: Config,
    clock: C,
    sink: &mut S,
    shutdown: impl Future<Output = ()>,
) -> Result<(), NodeError>
where
    N: Network,
    C: Clock,
    S: EventSink,
{
    let (mut store, chain) = open_chain(&config)?;
    let magic = wire::magic_for(config.network);
    let dial_timeout = config.timing.dial_timeout;
    let queue_max = config.outbound_queue_messages_max.max(1);
    let (tx, mut rx) = mpsc::channel::<CoreInput<N::Stream>>(CORE_QUEUE_MAX);

    let mut listeners = Vec::new();
    for addr in &config.listen {
        let listener = net
            .bind(addr)
            .await
            .map_err(|source| NodeError::Bind { addr: addr.clone(), source })?;
        listeners.push(tokio::task::spawn_local(listen(net.clone(), listener, tx.clone())));
    }

    let mut node = Node::new(config, chain, clock.now_ms());
    let mut peers: BTreeMap<PeerId, PeerHandle> = BTreeMap::new();
    let mut shutdown = std::pin::pin!(shutdown);

    let result = loop {
        if let Err(error) = execute(&mut node, &mut peers, &mut store, &clock, sink, &net, &tx, dial_timeout) {
            break Err(error);
        }
        let sleep_for = node.poll_timeout().map(|t| Duration::from_millis(t.saturating_sub(clock.now_ms())));
        tokio::select! {
            biased;
            () = &mut shutdown => {
                node.shutdown(clock.now_ms());
                break execute(&mut node, &mut peers, &mut store, &clock, sink, &net, &tx, dial_timeout);
            }
            input = rx.recv() => {
                // The core task holds a sender itself, so the queue never closes.
                let Some(input) = input else { break Ok(()) };
                let now_ms = clock.now_ms();
                match input {
                    CoreInput::Dialed { target, addr, result: Ok(stream) } => {
                        let peer = node.handle_connected(addr, Direction::Outbound(target), now_ms);
                        peers.insert(peer, spawn_peer(peer, stream, magic, queue_max, tx.clone()));
                    }
                    CoreInput::Dialed { target, result: Err(error), .. } => {
                        node.handle_dial_failed(target, error.to_string(), now_ms);
                    }
                    CoreInput::Accepted { stream, addr } => {
                        let peer = node.handle_connected(addr, Direction::Inbound, now_ms);
                        peers.insert(peer, spawn_peer(peer, stream, magic, queue_max, tx.clone()));
                    }
                    CoreInput::Message { peer, message } => node.handle_message(peer, message, now_ms),
                    CoreInput::FrameError { peer, error } => node.handle_frame_error(peer, error, now_ms),
                    CoreInput::Closed { peer, error } => {
                        if let Some(handle) = peers.remove(&peer) {
                            handle.reader.abort();
                            handle.writer.abort();
                        }
                        node.handle_disconnected(peer, error, now_ms);
                    }
                }
            }
            () = sleep_or_forever(sleep_for) => node.handle_tick(clock.now_ms()),
        }
    };

    for listener in listeners {
        listener.abort();
    }
    // Let the out_handlers write what was queued (rejects, last messages) before returning.
    for (_, handle) in std::mem::take(&mut peers) {
        handle.reader.abort();
        let _ = tokio::time::timeout(Duration::from_secs(1), handle.writer).await;
    }
    result
}

async fn sleep_or_forever(duration: Option<Duration>) {
    match duration {
        Some(duration) => tokio::time::sleep(duration).await,
        None => std::future::pending().await,
    }
}

#[allow(clippy::too_many_arguments)]
fn execute<N: Network, C: Clock, S: EventSink>(
    node: &mut Node,
    peers: &mut BTreeMap<PeerId, PeerHandle>,
    store: &mut Store,
    clock: &C,
    sink: &mut S,
    net: &N,
    tx: &mpsc::Sender<CoreInput<N::Stream>>,
    dial_timeout: Duration,
) -> Result<(), NodeError> {
    let magic = wire::magic_for(node.config().network);
    while let Some(output) = node.poll_output() {
        match output {
            Output::Send { peer, message } => {
                let Some(handle) = peers.get(&peer) else { continue };
                let frame = wire::encode(magic, message);
                if handle.out.try_send(OutCommand::Frame(frame)).is_err() {
                    node.handle_queue_full(peer, clock.now_ms());
                }
            }
            Output::Disconnect { peer, .. } => {
                if let Some(handle) = peers.remove(&peer) {
                    handle.reader.abort();
                    if handle.out.try_send(OutCommand::Close).is_err() {
                        handle.writer.abort();
                    }
                }
            }
            Output::Dial { target, addr } => {
                let (net, tx) = (net.clone(), tx.clone());
                tokio::task::spawn_local(async move {
                    let result = match tokio::time::timeout(dial_timeout, net.connect(&addr)).await {
                        Ok(result) => result,
                        Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "dial timed out")),
                    };
                    let _ = tx.send(CoreInput::Dialed { target, addr, result }).await;
                });
            }
            Output::Persist(update) => store.apply(&update)?,
            Output::Event(event) => sink.record(clock.now_ms(), &event, node),
        }
    }
    Ok(())
}

fn spawn_peer<S: AsyncRead + AsyncWrite + Unpin + 'static>(
    peer: PeerId,
    stream: S,
    magic: wire::Magic,
    queue_max: usize,
    tx: mpsc::Sender<CoreInput<S>>,
) -> PeerHandle {
    let (reader, writer) = tokio::io::split(stream);
    let (out, out_rx) = mpsc::channel(queue_max);
    let reader = tokio::task::spawn_local(in_handler(peer, reader, magic, tx.clone()));
    let writer = tokio::task::spawn_local(out_handler(peer, writer, out_rx, tx));
    PeerHandle { out, reader, writer }
}

/// Reads bytes, decodes frames, queues messages for the core task. Stops at the first frame
/// error or at the end of the stream, after reporting it.
async fn in_handler<R: AsyncRead + Unpin, S>(
    peer: PeerId,
    mut reader: R,
    magic: wire::Magic,
    tx: mpsc::Sender<CoreInput<S>>,
) {
    let mut decoder = FrameDecoder::new(magic);
    let mut buf = vec![0u8; READ_CHUNK_BYTES];
    loop {
        let n = match reader.read(&mut buf).await {
            Ok(0) => {
                let _ = tx.send(CoreInput::Closed { peer, error: None }).await;
                return;
            }
            Ok(n) => n,
            Err(error) => {
                let _ = tx.send(CoreInput::Closed { peer, error: Some(error.to_string()) }).await;
                return;
            }
        };
        decoder.extend(&buf[..n]);
        loop {
            match decoder.decode_next() {
                Ok(Some(message)) => {
                    if tx.send(CoreInput::Message { peer, message }).await.is_err() {
                        return;
                    }
                }
                Ok(None) => break,
                Err(error) => {
                    let _ = tx.send(CoreInput::FrameError { peer, error }).await;
                    return;
                }
            }
        }
    }
}

/// Writes queued frames in order; on `Close`, shuts the write side down and ends.
async fn out_handler<W: AsyncWrite + Unpin, S>(
    peer: PeerId,
    mut writer: W,
    mut queue: mpsc::Receiver<OutCommand>,
    tx: mpsc::Sender<CoreInput<S>>,
) {
    while let Some(command) = queue.recv().await {
        match command {
            OutCommand::Frame(frame) => {
                let written = async {
                    writer.write_all(&frame).await?;
                    writer.flush().await
                };
                if let Err(error) = written.await {
                    let _ = tx.send(CoreInput::Closed { peer, error: Some(error.to_string()) }).await;
                    return;
                }
            }
            OutCommand::Close => {
                let _ = writer.shutdown().await;
                return;
            }
        }
    }
}

async fn listen<N: Network>(net: N, listener: N::Listener, tx: mpsc::Sender<CoreInput<N::Stream>>) {
    loop {
        match net.accept(&listener).await {
            Ok((stream, addr)) => {
                if tx.send(CoreInput::Accepted { stream, addr }).await.is_err() {
                    return;
                }
            }
            Err(error) => {
                tracing::warn!(%error, "accept failed");
                // Back off briefly so a persistent accept error (e.g. out of file descriptors)
                // does not spin.
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}
