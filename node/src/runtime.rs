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

use std::cell::Cell;
use std::collections::BTreeMap;
use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::protocol::header_chain::{ChainUpdate, HeaderChain, LoadError};
use crate::protocol::{Direction, Event, Node, Output, PeerId, TargetId};
use crate::store::{Store, StoreBase, StoreError};
use crate::wire::{self, DecodeError, FrameDecoder, NetworkMessage};

/// Bytes read from a socket at a time.
const READ_CHUNK_BYTES: usize = 64 * 1024;

/// Capacity of the queue from all `in_handler`s, listeners and dialers to the core task, in
/// messages. When it is full, readers wait (TCP back-pressure) instead of buffering.
const CORE_QUEUE_MAX: usize = 1024;

/// Decoded messages waiting for the core task may hold at most this many frame bytes in
/// total, whatever their number: each `in_handler` takes a frame's size from this budget
/// before queueing it and the core task returns it once handled, so a flood of large messages
/// makes readers wait instead of growing memory (Bitcoin Core bounds its receive side per peer
/// with `-maxreceivebuffer`).
const CORE_QUEUE_BYTES_MAX: usize = 32_000_000;
// The byte budget must hold at least one largest frame, or a reader holding one would wait
// forever; the `clamp` where a frame takes its share relies on it.
const _: () =
    assert!(CORE_QUEUE_BYTES_MAX >= wire::HEADER_SIZE_BYTES + wire::PAYLOAD_SIZE_BYTES_MAX);
const _: () = assert!(CORE_QUEUE_MAX > 0);

/// After the node disconnects a peer, its `out_handler` may take this long to write what was
/// queued before the close (a final `reject`); then it is aborted and the socket dropped, even
/// if the peer stopped reading.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

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
        TokioClock {
            epoch_ms,
            start: tokio::time::Instant::now(),
        }
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
    fn accept(
        &self,
        listener: &Self::Listener,
    ) -> impl Future<Output = io::Result<(Self::Stream, String)>>;
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

    /// Called once `update` is committed to the store (its transaction finished). The
    /// simulator's invariants keep a model of the store from these; the default does nothing.
    fn persisted(&mut self, _now_ms: u64, _update: &ChainUpdate) {}

    /// Called after a frame joined `peer`'s outbound queue, with the queue's depth in messages
    /// and bytes and its bounds (`Config::outbound_queue_messages_max`,
    /// `Config::outbound_queue_bytes_max`); the default does nothing.
    fn outbound_queued(&mut self, _peer: PeerId, _depth: QueueDepth) {}
}

/// The depth of one peer's outbound queue and its bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueDepth {
    /// Frames waiting.
    pub messages: usize,
    /// The most frames it may hold.
    pub messages_max: usize,
    /// Bytes waiting.
    pub bytes: usize,
    /// The most bytes it may hold.
    pub bytes_max: usize,
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

/// An operator's request to the running node (Core's RPCs; btcd has none for bans).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Ban a host (an address without its port) for `duration` ([`Node::ban`]; Core
    /// `setban <host> add <bantime>`).
    Ban {
        /// The host.
        host: String,
        /// How long.
        duration: Duration,
    },
}

enum CoreInput<S> {
    Dialed {
        target: TargetId,
        addr: String,
        result: io::Result<S>,
    },
    Accepted {
        stream: S,
        addr: String,
    },
    /// The permit holds the frame's bytes of [`CORE_QUEUE_BYTES_MAX`] until the message is
    /// handled.
    Message {
        peer: PeerId,
        message: NetworkMessage,
        _budget: OwnedSemaphorePermit,
    },
    FrameError {
        peer: PeerId,
        error: DecodeError,
    },
    Closed {
        peer: PeerId,
        error: Option<String>,
    },
}

enum OutCommand {
    Frame(Vec<u8>),
    Close,
}

struct PeerHandle {
    out: mpsc::Sender<OutCommand>,
    /// Bytes queued for the `out_handler` and not yet written.
    queued_bytes: Rc<Cell<usize>>,
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
}

/// Opens the store in `config.datadir`, checks that it was created from the configured start
/// (genesis, or `config.trusted_start`), loads and re-checks the stored chain, and returns it
/// with the store (writing the base header into an empty store).
///
/// # Errors
/// [`NodeError::Datadir`], [`NodeError::Store`] (including a file created from another start),
/// or [`NodeError::Load`] (including an inconsistent trusted start).
pub fn open_chain(config: &Config) -> Result<(Store, HeaderChain), NodeError> {
    std::fs::create_dir_all(&config.datadir).map_err(|source| NodeError::Datadir {
        path: config.datadir.clone(),
        source,
    })?;
    let mut store = Store::open(&config.store_path(), config.network)?;
    let base = match config.trusted_start {
        None => HeaderChain::new(config.network),
        Some(start) => {
            HeaderChain::with_trusted_start(config.network, start).map_err(LoadError::from)?
        }
    };
    store.check_base(&StoreBase::of(&base))?;
    let headers = store.load()?;
    let empty = headers.is_empty();
    let chain = HeaderChain::from_stored_with(config.network, config.trusted_start, headers)?;
    if empty {
        store.apply(&ChainUpdate::new(
            chain.base_height(),
            vec![chain.tip_header()],
        ))?;
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
    let (_keep_open, commands) = mpsc::unbounded_channel();
    run_with_commands(net, config, clock, sink, shutdown, commands).await
}

/// [`run`], also executing each [`Command`] received on `commands` (in order, when it
/// arrives). The Core profile's persisted bans are loaded from the store at start.
///
/// # Errors
/// As [`run`].
pub async fn run_with_commands<N, C, S>(
    net: N,
    config: Config,
    clock: C,
    sink: &mut S,
    shutdown: impl Future<Output = ()>,
    mut commands: mpsc::UnboundedReceiver<Command>,
) -> Result<(), NodeError>
where
    N: Network,
    C: Clock,
    S: EventSink,
{
    let (mut store, chain) = open_chain(&config)?;
    let bans = store.load_bans(clock.now_ms())?;
    let (tx, mut rx) = mpsc::channel::<CoreInput<N::Stream>>(CORE_QUEUE_MAX);
    let mut listeners = Vec::new();
    for addr in &config.listen {
        let listener = net.bind(addr).await.map_err(|source| NodeError::Bind {
            addr: addr.clone(),
            source,
        })?;
        listeners.push(tokio::task::spawn_local(listen(
            net.clone(),
            listener,
            tx.clone(),
        )));
    }
    let mut shell = Shell {
        magic: wire::magic_for(config.network),
        dialect: config.profile.dialect(),
        dial_timeout: config.timing.dial_timeout,
        queue_messages_max: config.outbound_queue_messages_max.max(1),
        queue_bytes_max: config.outbound_queue_bytes_max,
        input_budget: Arc::new(Semaphore::new(CORE_QUEUE_BYTES_MAX)),
        net,
        clock,
        sink,
        store,
        tx,
        peers: BTreeMap::new(),
        closing: Vec::new(),
    };
    let mut node = Node::with_bans(config, chain, bans, shell.clock.now_ms());
    let mut shutdown = std::pin::pin!(shutdown);

    let result = loop {
        if let Err(error) = shell.execute(&mut node) {
            break Err(error);
        }
        shell.closing.retain(|task| !task.is_finished());
        let sleep_for = node
            .poll_timeout()
            .map(|t| Duration::from_millis(t.saturating_sub(shell.clock.now_ms())));
        tokio::select! {
            biased;
            () = &mut shutdown => {
                node.shutdown(shell.clock.now_ms());
                break shell.execute(&mut node);
            }
            // A closed channel (`None`) disables this branch.
            Some(command) = commands.recv() => match command {
                Command::Ban { host, duration } => node.ban(&host, duration, shell.clock.now_ms()),
            },
            input = rx.recv() => {
                // The shell holds a sender itself, so the queue never closes.
                let Some(input) = input else { break Ok(()) };
                shell.handle_input(&mut node, input);
                // Run due timers even while inputs keep arriving, so a flood from one peer
                // cannot hold back every deadline.
                let now_ms = shell.clock.now_ms();
                if node.poll_timeout().is_some_and(|t| t <= now_ms) {
                    node.handle_tick(now_ms);
                }
            }
            () = sleep_or_forever(sleep_for) => node.handle_tick(shell.clock.now_ms()),
        }
    };

    for listener in listeners {
        listener.abort();
    }
    shell.finish().await;
    result
}

async fn sleep_or_forever(duration: Option<Duration>) {
    match duration {
        Some(duration) => tokio::time::sleep(duration).await,
        None => std::future::pending().await,
    }
}

/// The runtime's side of the node: sockets, tasks, the store and the event sink.
struct Shell<'s, N: Network, C, S> {
    net: N,
    clock: C,
    sink: &'s mut S,
    store: Store,
    tx: mpsc::Sender<CoreInput<N::Stream>>,
    magic: wire::Magic,
    /// How the peers' bytes are read: the profile's implementation's way.
    dialect: wire::Dialect,
    dial_timeout: Duration,
    queue_messages_max: usize,
    queue_bytes_max: usize,
    input_budget: Arc<Semaphore>,
    peers: BTreeMap<PeerId, PeerHandle>,
    /// Watchdogs of connections being closed (see [`CLOSE_GRACE`]).
    closing: Vec<JoinHandle<()>>,
}

impl<N: Network, C: Clock, S: EventSink> Shell<'_, N, C, S> {
    fn handle_input(&mut self, node: &mut Node, input: CoreInput<N::Stream>) {
        let now_ms = self.clock.now_ms();
        match input {
            CoreInput::Dialed {
                target,
                addr,
                result: Ok(stream),
            } => {
                let peer = node.handle_connected(addr, Direction::Outbound(target), now_ms);
                self.spawn_peer(peer, stream);
            }
            CoreInput::Dialed {
                target,
                result: Err(error),
                ..
            } => {
                node.handle_dial_failed(target, error.to_string(), now_ms);
            }
            CoreInput::Accepted { stream, addr } => {
                let peer = node.handle_connected(addr, Direction::Inbound, now_ms);
                self.spawn_peer(peer, stream);
            }
            CoreInput::Message {
                peer,
                message,
                _budget,
            } => node.handle_message(peer, message, now_ms),
            CoreInput::FrameError { peer, error } => node.handle_frame_error(peer, error, now_ms),
            CoreInput::Closed { peer, error } => {
                if let Some(handle) = self.peers.remove(&peer) {
                    handle.reader.abort();
                    handle.writer.abort();
                }
                node.handle_disconnected(peer, error, now_ms);
            }
        }
    }

    /// Executes the node's outputs in order.
    fn execute(&mut self, node: &mut Node) -> Result<(), NodeError> {
        while let Some(output) = node.poll_output() {
            match output {
                Output::Send { peer, message } => {
                    let Some(handle) = self.peers.get(&peer) else {
                        continue;
                    };
                    let frame = wire::encode(self.magic, message);
                    let queued = handle.queued_bytes.get() + frame.len();
                    if queued > self.queue_bytes_max
                        || handle.out.try_send(OutCommand::Frame(frame)).is_err()
                    {
                        node.handle_queue_full(peer, self.clock.now_ms());
                    } else {
                        handle.queued_bytes.set(queued);
                        let depth = QueueDepth {
                            messages: handle.out.max_capacity() - handle.out.capacity(),
                            messages_max: self.queue_messages_max,
                            bytes: queued,
                            bytes_max: self.queue_bytes_max,
                        };
                        self.sink.outbound_queued(peer, depth);
                    }
                }
                Output::Disconnect { peer, .. } => self.close(peer),
                Output::Dial { target, addr } => {
                    let (net, tx, dial_timeout) =
                        (self.net.clone(), self.tx.clone(), self.dial_timeout);
                    tokio::task::spawn_local(async move {
                        let result =
                            match tokio::time::timeout(dial_timeout, net.connect(&addr)).await {
                                Ok(result) => result,
                                Err(_) => {
                                    Err(io::Error::new(io::ErrorKind::TimedOut, "dial timed out"))
                                }
                            };
                        let _ = tx
                            .send(CoreInput::Dialed {
                                target,
                                addr,
                                result,
                            })
                            .await;
                    });
                }
                Output::Persist(update) => {
                    self.store.apply(&update)?;
                    self.sink.persisted(self.clock.now_ms(), &update);
                }
                Output::PersistBan(ban) => self.store.ban(&ban)?,
                Output::Event(event) => self.sink.record(self.clock.now_ms(), &event, node),
            }
        }
        Ok(())
    }

    fn spawn_peer(&mut self, peer: PeerId, stream: N::Stream) {
        let (reader, writer) = tokio::io::split(stream);
        let (out, out_rx) = mpsc::channel(self.queue_messages_max);
        let queued_bytes = Rc::new(Cell::new(0));
        let reader = tokio::task::spawn_local(in_handler(
            peer,
            reader,
            FrameDecoder::with_dialect(self.magic, self.dialect),
            self.input_budget.clone(),
            self.tx.clone(),
        ));
        let writer = tokio::task::spawn_local(out_handler(
            peer,
            writer,
            out_rx,
            queued_bytes.clone(),
            self.tx.clone(),
        ));
        self.peers.insert(
            peer,
            PeerHandle {
                out,
                queued_bytes,
                reader,
                writer,
            },
        );
    }

    /// Stops reading from `peer`, lets its writer flush for [`CLOSE_GRACE`], then drops the
    /// socket whatever the peer does.
    fn close(&mut self, peer: PeerId) {
        let Some(handle) = self.peers.remove(&peer) else {
            return;
        };
        handle.reader.abort();
        // If the queue is full the writer still ends once it drained it (the sender is dropped
        // here); the watchdog bounds both cases.
        let _ = handle.out.try_send(OutCommand::Close);
        drop(handle.out);
        let mut writer = handle.writer;
        self.closing.push(tokio::task::spawn_local(async move {
            if tokio::time::timeout(CLOSE_GRACE, &mut writer)
                .await
                .is_err()
            {
                writer.abort();
            }
        }));
    }

    /// Closes every remaining connection and waits (at most [`CLOSE_GRACE`] in all) for their
    /// writers to flush.
    async fn finish(mut self) {
        let peers: Vec<PeerId> = self.peers.keys().copied().collect();
        for peer in peers {
            self.close(peer);
        }
        let closing = std::mem::take(&mut self.closing);
        let _ = tokio::time::timeout(CLOSE_GRACE + Duration::from_millis(100), async {
            for task in closing {
                let _ = task.await;
            }
        })
        .await;
    }
}

/// Reads bytes, decodes frames with `decoder`, queues messages for the core task. Reports
/// every frame error; stops at the first that leaves no frame boundary (the decoder is
/// [poisoned](FrameDecoder::is_poisoned)) or at the end of the stream.
async fn in_handler<R: AsyncRead + Unpin, S>(
    peer: PeerId,
    mut reader: R,
    mut decoder: FrameDecoder,
    budget: Arc<Semaphore>,
    tx: mpsc::Sender<CoreInput<S>>,
) {
    let mut buf = vec![0u8; READ_CHUNK_BYTES];
    loop {
        let n = match reader.read(&mut buf).await {
            Ok(0) => {
                let _ = tx.send(CoreInput::Closed { peer, error: None }).await;
                return;
            }
            Ok(n) => n,
            Err(error) => {
                let _ = tx
                    .send(CoreInput::Closed {
                        peer,
                        error: Some(error.to_string()),
                    })
                    .await;
                return;
            }
        };
        decoder.extend(&buf[..n]);
        loop {
            let before = decoder.buffered_len();
            match decoder.decode_next() {
                Ok(Some(message)) => {
                    let frame_bytes = before
                        .saturating_sub(decoder.buffered_len())
                        .clamp(1, CORE_QUEUE_BYTES_MAX);
                    let Ok(permit) = budget.clone().acquire_many_owned(frame_bytes as u32).await
                    else {
                        return;
                    };
                    if tx
                        .send(CoreInput::Message {
                            peer,
                            message,
                            _budget: permit,
                        })
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                Ok(None) => break,
                Err(error) => {
                    if tx
                        .send(CoreInput::FrameError { peer, error })
                        .await
                        .is_err()
                        || decoder.is_poisoned()
                    {
                        return;
                    }
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
    queued_bytes: Rc<Cell<usize>>,
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
                    let _ = tx
                        .send(CoreInput::Closed {
                            peer,
                            error: Some(error.to_string()),
                        })
                        .await;
                    return;
                }
                queued_bytes.set(queued_bytes.get().saturating_sub(frame.len()));
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

#[cfg(test)]
mod tests {
    //! [`open_chain`] with a trusted start: the store records its base and refuses another.

    use bitcoin::Network;

    use super::*;
    use crate::trusted_start::{mainnet_822527_start, TrustedStart};

    fn config_with(dir: &tempfile::TempDir, start: Option<TrustedStart>) -> Config {
        let mut config = Config::new(Network::Bitcoin, dir.path().to_path_buf());
        config.trusted_start = start;
        config
    }

    #[test]
    fn a_store_from_a_trusted_start_round_trips_tip_chainwork_and_locator() {
        let Some((start, headers)) = mainnet_822527_start() else {
            return;
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let config = config_with(&dir, Some(start));
        let synced = {
            let (mut store, mut chain) = open_chain(&config).expect("a new store");
            assert_eq!(
                store.load().expect("load"),
                vec![start.header],
                "the base row is written"
            );
            assert_eq!(store.tip_height().expect("tip"), Some(822_527));
            for batch in headers[..5000].chunks(2000) {
                let update = chain
                    .accept_headers(batch, 2_000_000_000)
                    .update
                    .expect("extends");
                store.apply(&update).expect("apply");
            }
            chain
        };
        let (store, loaded) = open_chain(&config).expect("reopen");
        assert_eq!(store.row_count().expect("rows"), 5001);
        assert_eq!(store.tip_height().expect("tip"), Some(827_527));
        assert_eq!(
            (
                loaded.base_height(),
                loaded.tip_height(),
                loaded.tip_hash(),
                loaded.tip_chainwork(),
                loaded.locator()
            ),
            (
                822_527,
                827_527,
                synced.tip_hash(),
                synced.tip_chainwork(),
                synced.locator()
            )
        );
        assert_eq!(loaded.tip_hash(), headers[4999].block_hash());
    }

    #[test]
    fn a_store_opened_with_another_start_is_refused_with_both_named() {
        let Some((start, headers)) = mainnet_822527_start() else {
            return;
        };
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let (mut store, mut chain) = open_chain(&config_with(&dir, Some(start))).expect("new");
            let update = chain
                .accept_headers(&headers[..10], 2_000_000_000)
                .update
                .expect("extends");
            store.apply(&update).expect("apply");
        }
        let refused = |other: Option<TrustedStart>| match open_chain(&config_with(&dir, other)) {
            Err(NodeError::Store(error @ StoreError::BaseMismatch { .. })) => error.to_string(),
            Err(other) => panic!("expected a base mismatch, got {other}"),
            Ok(_) => panic!("expected a base mismatch, the store opened"),
        };
        let text = refused(None);
        assert!(
            text.contains("created from trusted start height=822527"),
            "{text}"
        );
        assert!(
            text.contains("configured to start from genesis 000000000019d6"),
            "{text}"
        );
        // Same header, another chainwork: still another start.
        let other_work = TrustedStart {
            chainwork: start.chainwork + start.header.work(),
            ..start
        };
        assert!(refused(Some(other_work)).contains("chainwork="));
        // The right start still opens it.
        let (_, chain) = open_chain(&config_with(&dir, Some(start))).expect("same start");
        assert_eq!(chain.tip_height(), 822_537);

        // And the other way round: a genesis store refuses a trusted start.
        let genesis_dir = tempfile::tempdir().expect("tempdir");
        drop(open_chain(&config_with(&genesis_dir, None)).expect("genesis store"));
        match open_chain(&config_with(&genesis_dir, Some(start))) {
            Err(NodeError::Store(StoreError::BaseMismatch { file, .. })) => {
                assert!(file.starts_with("genesis 000000000019d6"), "{file}")
            }
            other => panic!("expected a base mismatch, got {:?}", other.map(|_| ())),
        }
    }
}
