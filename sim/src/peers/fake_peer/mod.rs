//! Scripted fake peers imitating btcd or Bitcoin Core.
//!
//! A fake peer serves a chain fixture like a real node of its [`Profile`] would:
//!
//! | | btcd | Core |
//! |---|---|---|
//! | handshake reply to `version` | `sendaddrv2` (both at 70016), `verack` | `wtxidrelay`, `sendaddrv2` (both at 70016), `verack` |
//! | after `verack` | nothing | `sendcmpct(0, 2)`, then a `ping` at once |
//! | its pings | every 2 min by ticker (`pingHandler`) | 2 min after the previous one, once it was answered (`MaybeSendPing`) |
//! | `getheaders` with an empty locator and an unknown `hash_stop` | empty `headers` (`locateInventory`) | no reply |
//! | locator limit | 500 hashes (`MaxBlockLocatorsPerMsg`) | 101 (`MAX_LOCATOR_SZ`); more closes the connection |
//! | user agent | `/btcwire:0.5.0/btcd:0.26.0/` | `/Satoshi:28.1.0/` |
//!
//! Both pong every ping and answer `getheaders` with up to 2000 headers after the first
//! locator hash they know, through `hash_stop`. A real Core peer would also send `feefilter`,
//! `getaddr` and its own `getheaders`; the fake one does not, so the node's replies do not
//! blur what a scenario counts. A [`Behaviour`] makes a peer misbehave in one scripted way, or
//! a [`Step`] list scripts it message by message.
//!
//! The peer is written against the node's [`Network`] trait and plain tokio I/O traits, so the
//! same code serves the node inside turmoil and over real loopback TCP.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::io;
use std::rc::Rc;
use std::time::Duration;

use crate::scenario::{
    hex_bytes, Behaviour, MessageAction, SendSpec, Step, JUNK_PAYLOAD_BYTES_MAX,
};
use bitcoin::block::Header;
use bitcoin::hashes::Hash;
use bitcoin::BlockHash;
use node::runtime::Network;
use node::wire::{
    self, Address, FrameDecoder, GetHeadersMessage, Inventory, Magic, NetworkMessage, SendCmpct,
    ServiceFlags, VersionMessage,
};
use node::Profile;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};

/// The port fake peers and the simulated node listen on (mainnet's default, as a label).
pub const LISTEN_PORT: u16 = 8333;

/// btcd's `pingInterval` (`peer/peer.go`) and Core's `PING_INTERVAL` (`net_processing.cpp`):
/// fake peers ping this often after the handshake.
pub const PING_INTERVAL: Duration = Duration::from_secs(120);

/// Most locator hashes a fake btcd peer accepts: btcd `wire.MaxBlockLocatorsPerMsg`.
pub const BTCD_LOCATOR_HASHES_MAX: usize = 500;

/// Most locator hashes a fake Core peer accepts: Core `MAX_LOCATOR_SZ` (`net_processing.cpp`).
pub const CORE_LOCATOR_HASHES_MAX: usize = 101;

/// Stands for "never" in the growing chain's announcement timer (a finite span, so adding it to
/// an instant cannot overflow).
const NO_NEXT_BLOCK: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// One `ping` a fake peer sent: its nonce and when, in simulated milliseconds since the start
/// of the run (see [`FakePeer::pings_sent`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PingSent {
    /// The ping's nonce.
    pub nonce: u64,
    /// When the peer wrote it, in simulated milliseconds.
    pub at_ms: u64,
}

/// A fake peer's identity and chain, shared by all its connections.
#[derive(Debug)]
pub struct FakePeer {
    /// Host name (for the simulator) or label.
    pub name: String,
    /// Network magic it speaks.
    pub magic: Magic,
    /// The chain it serves: `chain[i]` is the header at height `first_height + i` (genesis
    /// first when `first_height` is 0).
    pub chain: Vec<Header>,
    /// Height of `chain[0]`. Above 0 the peer stands for a node started from the trusted
    /// header `chain[0].prev_blockhash` at `first_height - 1`: it knows that hash, and nothing
    /// below it.
    pub first_height: u32,
    /// Hash → index in `chain` (not height).
    hash_to_height: BTreeMap<BlockHash, u32>,
    /// Protocol version it advertises.
    pub version: u32,
    /// Service bits it advertises.
    pub services: u64,
    /// Height it advertises.
    pub start_height: i32,
    /// User agent it advertises.
    pub user_agent: String,
    /// How it behaves.
    pub behaviour: Behaviour,
    /// Delay before its `version`.
    pub version_delay: Duration,
    /// Delay before each `headers` reply.
    pub headers_delay: Duration,
    /// A growing chain: every this long (simulated time from the start of the simulation) one
    /// more header of `chain` becomes visible above `start_height`, and the peer announces it
    /// with an `inv` on each connection. `None`: the whole chain is visible from the start.
    pub block_interval: Option<Duration>,
    /// Which implementation it imitates.
    pub profile: Profile,
    seed: u64,
    clock_s: fn() -> i64,
    connections: Cell<u64>,
    pings_sent: RefCell<Vec<PingSent>>,
    /// The faults it applies to its own messages and clock ([`FakePeer::with_faults`]).
    pub faults: crate::harness::faults::PeerFaults,
    /// Where each `getheaders` it receives is reported ([`FakePeer::with_getheaders_observer`]);
    /// `None` (the default): nowhere.
    getheaders_observer: Option<std::sync::mpsc::Sender<GetHeadersSeen>>,
}

/// A `getheaders` a fake peer received, as reported to its
/// [`FakePeer::with_getheaders_observer`] channel. Built for benchmarks on real TCP
/// ([`crate::tools::bench::bitcoind`]): `at` is the wall clock, so it means nothing in a simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GetHeadersSeen {
    /// Which of the peer's connections it came on: 0 for the first the peer served, then 1, ...
    pub connection: u64,
    /// Height of its first locator hash on the peer's chain; `None` for an empty locator or a
    /// first hash the chain does not hold. After a full batch, bitcoind and our node start
    /// their locator at its last header.
    pub first_locator_height: Option<u32>,
    /// Whether that first locator hash is the peer's tip: the asker holds the whole chain.
    pub at_tip: bool,
    /// When the peer decoded it (before answering).
    pub at: std::time::Instant,
}

/// Settings of a [`FakePeer`] other than its chain.
#[derive(Debug, Clone)]
pub struct FakePeerSettings {
    /// Protocol version it advertises.
    pub version: u32,
    /// Service bits it advertises.
    pub services: u64,
    /// Height it advertises (`None`: its chain's tip).
    pub start_height: Option<i32>,
    /// Height of its chain's first header (0: genesis first); see [`FakePeer::first_height`].
    pub first_height: u32,
    /// How it behaves.
    pub behaviour: Behaviour,
    /// Delay before its `version`.
    pub version_delay: Duration,
    /// Delay before each `headers` reply.
    pub headers_delay: Duration,
    /// A growing chain (see [`FakePeer::block_interval`]); needs `start_height`.
    pub block_interval: Option<Duration>,
    /// Seed for its nonces (mixed with its name and the connection number).
    pub seed: u64,
    /// Its clock, in seconds since the Unix epoch, for `version` timestamps.
    pub clock_s: fn() -> i64,
    /// Which implementation it imitates.
    pub profile: Profile,
}

/// Simulated time from turmoil in seconds since the Unix epoch (0 outside a simulation).
pub fn turmoil_clock_s() -> i64 {
    turmoil::since_epoch().map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The real clock in seconds since the Unix epoch, for fake peers on real TCP (`sim serve`,
/// the loopback tests). Never used inside a simulation.
pub fn wall_clock_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl Default for FakePeerSettings {
    fn default() -> Self {
        FakePeerSettings {
            version: 70016,
            services: ServiceFlags::NETWORK.to_u64() | ServiceFlags::WITNESS.to_u64(),
            start_height: None,
            first_height: 0,
            behaviour: Behaviour::Honest,
            version_delay: Duration::ZERO,
            headers_delay: Duration::ZERO,
            block_interval: None,
            seed: 0,
            clock_s: turmoil_clock_s,
            profile: Profile::Btcd,
        }
    }
}

impl FakePeer {
    /// A fake peer named `name` serving `chain` (genesis first) on `network`.
    pub fn new(
        name: &str,
        network: bitcoin::Network,
        chain: Vec<Header>,
        settings: FakePeerSettings,
    ) -> FakePeer {
        let hash_to_height = chain
            .iter()
            .enumerate()
            .map(|(h, header)| (header.block_hash(), h as u32))
            .collect();
        let tip = i64::from(settings.first_height) + chain.len() as i64 - 1;
        let tip = i32::try_from(tip.max(0)).unwrap_or(i32::MAX);
        FakePeer {
            name: name.to_string(),
            magic: wire::magic_for(network),
            chain,
            first_height: settings.first_height,
            hash_to_height,
            version: settings.version,
            services: settings.services,
            start_height: settings.start_height.unwrap_or(tip),
            user_agent: match settings.profile {
                Profile::Btcd => "/btcwire:0.5.0/btcd:0.26.0/".to_string(),
                Profile::Core => "/Satoshi:28.1.0/".to_string(),
            },
            profile: settings.profile,
            behaviour: settings.behaviour,
            version_delay: settings.version_delay,
            headers_delay: settings.headers_delay,
            block_interval: settings.block_interval,
            seed: settings.seed,
            clock_s: settings.clock_s,
            connections: Cell::new(0),
            pings_sent: RefCell::new(Vec::new()),
            faults: crate::harness::faults::PeerFaults::default(),
            getheaders_observer: None,
        }
    }

    /// The same peer applying `faults` to its messages and clock.
    pub fn with_faults(mut self, faults: crate::harness::faults::PeerFaults) -> FakePeer {
        self.faults = faults;
        self
    }

    /// The same peer reporting every `getheaders` it receives while serving honestly (also in
    /// a script's `honest` and `answers_pings_only` steps) to `observer`, before it answers:
    /// which connection, where the asker's locator starts, whether that is the peer's tip, and
    /// when (wall clock). Off by default; a closed receiver is ignored. Meant for benchmarks on
    /// real TCP ([`crate::tools::bench::bitcoind`] times a sync to the `getheaders` from the tip), not
    /// for simulations.
    pub fn with_getheaders_observer(
        mut self,
        observer: std::sync::mpsc::Sender<GetHeadersSeen>,
    ) -> FakePeer {
        self.getheaders_observer = Some(observer);
        self
    }

    /// Reports `request`, received on `connection`, to the observer, if there is one.
    fn observe_getheaders(&self, connection: u64, request: &GetHeadersMessage) {
        let Some(observer) = &self.getheaders_observer else {
            return;
        };
        let first = request.locator_hashes.first();
        let index = first.and_then(|hash| self.hash_to_height.get(hash));
        let seen = GetHeadersSeen {
            connection,
            first_locator_height: index.map(|i| self.first_height + i),
            at_tip: first.is_some() && first == self.chain.last().map(Header::block_hash).as_ref(),
            at: std::time::Instant::now(),
        };
        let _ = observer.send(seen);
    }

    /// Every `ping` this peer wrote inside a simulation, over all its connections, in order
    /// (outside one, none is recorded). `expect.peers.<host>.pong_latency_ms_max` measures the
    /// node's replies against it.
    pub fn pings_sent(&self) -> Vec<PingSent> {
        self.pings_sent.borrow().clone()
    }

    /// Records a `ping` written now.
    fn note_ping(&self, nonce: u64) {
        if let Some(elapsed) = turmoil::sim_elapsed() {
            let at_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
            self.pings_sent.borrow_mut().push(PingSent { nonce, at_ms });
        }
    }

    /// Height of the last header of `chain` (shown at once unless the chain grows).
    fn chain_tip_height(&self) -> u32 {
        self.first_height + (self.chain.len() as u32).saturating_sub(1)
    }

    /// Height of the highest header the peer holds now: its chain's tip, or for a growing
    /// chain ([`FakePeer::block_interval`]) `start_height` plus one per interval of simulated
    /// time elapsed, capped at the chain's tip (outside a simulation the chain does not grow).
    pub fn visible_tip_height(&self) -> u32 {
        let tip = self.chain_tip_height();
        let Some(interval) = self.block_interval else {
            return tip;
        };
        let elapsed = turmoil::sim_elapsed().unwrap_or_default();
        let grown = elapsed.as_millis() / interval.as_millis().max(1);
        let start = u32::try_from(self.start_height.max(0)).unwrap_or(0);
        u32::try_from(u128::from(start) + grown)
            .unwrap_or(u32::MAX)
            .min(tip)
    }

    /// How long from now until the next header of a growing chain becomes visible (`None`:
    /// the chain does not grow, or it has shown its tip).
    fn next_block_in(&self) -> Option<Duration> {
        let interval = self.block_interval?;
        if self.visible_tip_height() >= self.chain_tip_height() {
            return None;
        }
        let elapsed = turmoil::sim_elapsed().unwrap_or_default().as_millis();
        let interval_ms = interval.as_millis().max(1);
        let next_ms = (elapsed / interval_ms + 1) * interval_ms;
        Some(Duration::from_millis(
            u64::try_from(next_ms - elapsed).unwrap_or(u64::MAX),
        ))
    }

    /// The `headers` reply a real node sends for `request`, or `None` when it sends none.
    ///
    /// After the first locator hash it knows (from height 1 if none), at most 2000, through
    /// `hash_stop` inclusive (btcd `locateInventory`, Core `FindForkInGlobalIndex`). A chain
    /// from `first_height` above 0 also knows its base, `chain[0].prev_blockhash` (a locator
    /// holding it gets `chain[0]` on), and answers a locator of unknown hashes from `chain[0]`,
    /// the lowest header it has. An empty
    /// locator asks for the `hash_stop` header alone; bitcoind sends nothing at all when that
    /// hash is unknown (Core `ProcessMessage` GETHEADERS), which the interop test
    /// `tests/fake_vs_bitcoind.rs` checks against a real bitcoind; a btcd peer sends an empty
    /// `headers` there instead (`locateInventory` finds nothing).
    pub fn headers_for(&self, request: &GetHeadersMessage) -> Option<Vec<Header>> {
        let (chain, hash_to_height) = self
            .faults
            .serving_chain()
            .unwrap_or((&self.chain, &self.hash_to_height));
        if request.locator_hashes.is_empty() {
            return match (hash_to_height.get(&request.stop_hash), self.profile) {
                (Some(height), _) => {
                    self.faults.on_headers_served(*height as usize, 1);
                    Some(vec![chain[*height as usize]])
                }
                (None, Profile::Btcd) => Some(Vec::new()),
                (None, Profile::Core) => None,
            };
        }
        let start = self.start_index(chain, hash_to_height, &request.locator_hashes);
        // A growing chain serves what it holds so far.
        let visible_end =
            (self.visible_tip_height() + 1).saturating_sub(self.first_height) as usize;
        let end = visible_end
            .min(start.saturating_add(wire::HEADERS_PER_MESSAGE_MAX))
            .min(chain.len());
        let mut out = Vec::with_capacity(end.saturating_sub(start));
        let stop = (request.stop_hash != BlockHash::all_zeros()).then_some(request.stop_hash);
        for header in chain.get(start..end).unwrap_or_default() {
            out.push(*header);
            if stop.is_some_and(|stop| header.block_hash() == stop) {
                break;
            }
        }
        self.faults.on_headers_served(start, out.len());
        Some(out)
    }

    /// Index in `chain` of the first header to serve after `locator` (see
    /// [`FakePeer::headers_for`]).
    fn start_index(
        &self,
        chain: &[Header],
        hash_to_height: &BTreeMap<BlockHash, u32>,
        locator: &[BlockHash],
    ) -> usize {
        let base = (self.first_height > 0)
            .then(|| chain.first().map(|h| h.prev_blockhash))
            .flatten();
        locator
            .iter()
            .find_map(|hash| match hash_to_height.get(hash) {
                Some(index) => Some(*index as usize + 1),
                None => (Some(*hash) == base).then_some(0),
            })
            .unwrap_or(if self.first_height > 0 { 0 } else { 1 })
    }

    /// The header at `height`, if the peer holds it.
    /// The header this peer's chain holds at `height`, if any.
    pub fn header_at(&self, height: u32) -> Option<&Header> {
        self.chain
            .get(height.checked_sub(self.first_height)? as usize)
    }

    fn version_message(&self, rng: &mut ChaCha8Rng) -> VersionMessage {
        let now_s = (self.clock_s)().saturating_add(self.faults.version_offset_s());
        let unspecified = std::net::SocketAddr::from(([0, 0, 0, 0], 0));
        let services = ServiceFlags::from(self.services);
        let mut version = VersionMessage::new(
            services,
            now_s,
            Address::new(&unspecified, ServiceFlags::NONE),
            Address::new(&unspecified, services),
            rng.next_u64() >> 1,
            self.user_agent.clone(),
            if self.block_interval.is_some() {
                i32::try_from(self.visible_tip_height()).unwrap_or(i32::MAX)
            } else {
                self.start_height
            },
        );
        version.version = self.version;
        version
    }
}

/// Accepts connections on `listener` forever, serving each with `peer`.
pub async fn accept_loop<N: Network>(
    net: N,
    listener: N::Listener,
    peer: Rc<FakePeer>,
) -> io::Result<()> {
    loop {
        let (stream, _) = net.accept(&listener).await?;
        let peer = peer.clone();
        tokio::task::spawn_local(async move {
            let _ = serve(stream, peer, false).await;
        });
    }
}

/// Dials `addr` and serves the connection; redials 5 s after it ends or fails (a permanent
/// btcd connection request), forever.
pub async fn dial_loop<N: Network>(net: N, addr: String, peer: Rc<FakePeer>) -> io::Result<()> {
    loop {
        if let Ok(stream) = net.connect(&addr).await {
            let _ = serve(stream, peer.clone(), true).await;
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
}

struct Conn<S> {
    /// Which of the peer's connections this is (0 for the first).
    connection: u64,
    reader: ReadHalf<S>,
    writer: WriteHalf<S>,
    decoder: FrameDecoder,
    magic: Magic,
    buf: Vec<u8>,
    peer: Rc<FakePeer>,
}

impl<S: AsyncRead + AsyncWrite> Conn<S> {
    async fn recv(&mut self) -> io::Result<Option<NetworkMessage>> {
        loop {
            match self.decoder.decode_next() {
                Ok(Some(message)) => return Ok(Some(message)),
                Ok(None) => {}
                Err(error) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        error.to_string(),
                    ))
                }
            }
            let n = self.reader.read(&mut self.buf).await?;
            if n == 0 {
                return Ok(None);
            }
            self.decoder.extend(&self.buf[..n]);
        }
    }

    async fn send(&mut self, message: NetworkMessage) -> io::Result<()> {
        self.send_bytes(&wire::encode(self.magic, message)).await
    }

    /// Sends one whole frame, through the peer's message faults.
    async fn send_bytes(&mut self, frame: &[u8]) -> io::Result<()> {
        let command = frame.get(4..16).map(|c| {
            String::from_utf8_lossy(c)
                .trim_end_matches('\0')
                .to_string()
        });
        let action = command.and_then(|command| self.peer.faults.on_send(&command));
        let half = frame.len() / 2;
        match action {
            None => self.write_raw(frame).await,
            Some(MessageAction::Drop) => Ok(()),
            Some(MessageAction::DelayMs(ms)) => {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                self.write_raw(frame).await
            }
            Some(MessageAction::Duplicate) => {
                self.write_raw(frame).await?;
                self.write_raw(frame).await
            }
            Some(MessageAction::Truncate { bytes }) => {
                let cut = usize::try_from(bytes)
                    .unwrap_or(usize::MAX)
                    .min(frame.len().saturating_sub(1))
                    .max(1);
                self.write_raw(&frame[..cut]).await
            }
            Some(MessageAction::CorruptChecksum) => {
                let mut corrupted = frame.to_vec();
                for byte in corrupted.iter_mut().skip(20).take(4) {
                    *byte = !*byte;
                }
                self.write_raw(&corrupted).await
            }
            Some(MessageAction::Split {
                chunk_bytes,
                gap_ms,
            }) => {
                let chunk = usize::try_from(chunk_bytes).unwrap_or(usize::MAX).max(1);
                for (i, part) in frame.chunks(chunk).enumerate() {
                    if i > 0 {
                        tokio::time::sleep(Duration::from_millis(gap_ms)).await;
                    }
                    self.write_raw(part).await?;
                }
                Ok(())
            }
            Some(MessageAction::CloseFin) => {
                self.write_raw(&frame[..half]).await?;
                self.writer.shutdown().await?;
                // Read until the node closes too, so nothing is left unread (no reset).
                let mut scratch = vec![0u8; 64 * 1024];
                while self.reader.read(&mut scratch).await? > 0 {}
                Err(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    "closed by a close_fin fault",
                ))
            }
            Some(MessageAction::CloseReset) => {
                self.write_raw(&frame[..half]).await?;
                // Take one byte of the node's next segment and drop the socket with the rest
                // unread: the close is then a reset.
                let mut one = [0u8; 1];
                let _ = self.reader.read(&mut one).await?;
                Err(io::Error::new(
                    io::ErrorKind::ConnectionReset,
                    "reset by a close_reset fault",
                ))
            }
        }
    }

    /// Writes bytes as they are (part of a frame, or a whole one), bypassing message faults.
    async fn write_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.writer.write_all(bytes).await?;
        self.writer.flush().await
    }

    /// Reads and drops everything until the other side closes.
    async fn drain(&mut self) -> io::Result<()> {
        while self.recv().await?.is_some() {}
        Ok(())
    }
}

/// Serves one connection. `dialled_out` is true when the fake peer opened it (it then speaks
/// first).
///
/// # Errors
/// I/O errors of the connection; they only end this connection.
pub async fn serve<S: AsyncRead + AsyncWrite + 'static>(
    stream: S,
    peer: Rc<FakePeer>,
    dialled_out: bool,
) -> io::Result<()> {
    let (reader, writer) = tokio::io::split(stream);
    let connection = peer.connections.get();
    peer.connections.set(connection + 1);
    let mut conn = Conn {
        connection,
        reader,
        writer,
        decoder: FrameDecoder::new(peer.magic),
        magic: peer.magic,
        buf: vec![0; 64 * 1024],
        peer: peer.clone(),
    };
    let mut rng = ChaCha8Rng::from_seed(connection_seed(peer.seed, &peer.name, connection));
    match &peer.behaviour {
        Behaviour::NeverSendsVersion => return conn.drain().await,
        Behaviour::PingFirst => {
            conn.send(NetworkMessage::Ping(1)).await?;
            return conn.drain().await;
        }
        Behaviour::Script(steps) => {
            return run_script(&mut conn, &peer, steps, &mut rng, dialled_out).await
        }
        Behaviour::Replay(script) => {
            let (reader, writer) = (conn.reader, conn.writer);
            return crate::peers::replay::replay(reader, writer, peer.magic, script).await;
        }
        _ => {}
    }
    if !handshake(&mut conn, &peer, &mut rng, dialled_out).await? {
        return Ok(());
    }
    match &peer.behaviour {
        Behaviour::SilentAfterHandshake => return conn.drain().await,
        Behaviour::DuplicateVersion => {
            let version = peer.version_message(&mut rng);
            conn.send(NetworkMessage::Version(version)).await?;
        }
        Behaviour::WrongMagic => {
            conn.send_bytes(&wire::encode_raw(
                Magic::from_bytes([0xff; 4]),
                "junk",
                b"hello",
            ))
            .await?;
        }
        Behaviour::BadChecksum => {
            conn.send_bytes(&wire::encode_with_checksum(
                peer.magic,
                NetworkMessage::Ping(7),
                [0xff; 4],
            ))
            .await?;
        }
        Behaviour::OversizedFrame => {
            let mut frame = wire::encode_raw(peer.magic, "junk", &[0u8; 1000]);
            frame[16..20].copy_from_slice(&(wire::PAYLOAD_SIZE_BYTES_MAX as u32 + 1).to_le_bytes());
            conn.send_bytes(&frame).await?;
        }
        _ => {}
    }
    serve_honestly(&mut conn, &peer, &mut rng).await
}

/// The handshake of the peer's profile from either side. Returns false if the connection
/// closed first.
async fn handshake<S: AsyncRead + AsyncWrite>(
    conn: &mut Conn<S>,
    peer: &FakePeer,
    rng: &mut ChaCha8Rng,
    dialled_out: bool,
) -> io::Result<bool> {
    let mut sent_version = false;
    if dialled_out {
        tokio::time::sleep(peer.version_delay).await;
        conn.send(NetworkMessage::Version(peer.version_message(rng)))
            .await?;
        sent_version = true;
    }
    let mut sent_verack = false;
    loop {
        match conn.recv().await? {
            None => return Ok(false),
            Some(NetworkMessage::Version(theirs)) => {
                if !sent_version {
                    tokio::time::sleep(peer.version_delay).await;
                    conn.send(NetworkMessage::Version(peer.version_message(rng)))
                        .await?;
                    sent_version = true;
                }
                let common = theirs.version.min(peer.version);
                if peer.profile == Profile::Core && common >= 70016 {
                    conn.send(NetworkMessage::WtxidRelay).await?;
                }
                if common >= 70016 {
                    conn.send(NetworkMessage::SendAddrV2).await?;
                }
                conn.send(NetworkMessage::Verack).await?;
                sent_verack = true;
            }
            Some(NetworkMessage::Verack) if sent_verack => {
                if peer.profile == Profile::Core {
                    conn.send(NetworkMessage::SendCmpct(SendCmpct {
                        send_compact: false,
                        version: 2,
                    }))
                    .await?;
                }
                return Ok(true);
            }
            Some(_) => {}
        }
    }
}

async fn serve_honestly<S: AsyncRead + AsyncWrite>(
    conn: &mut Conn<S>,
    peer: &FakePeer,
    rng: &mut ChaCha8Rng,
) -> io::Result<()> {
    serve_loop(
        conn,
        peer,
        rng,
        peer.behaviour == Behaviour::AnswersPingsOnly,
    )
    .await
}

/// The peer's main loop after the handshake: pings on its profile's cadence, answers pings
/// and, unless `pings_only`, `getheaders`.
async fn serve_loop<S: AsyncRead + AsyncWrite>(
    conn: &mut Conn<S>,
    peer: &FakePeer,
    rng: &mut ChaCha8Rng,
    pings_only: bool,
) -> io::Result<()> {
    // btcd pings on a fixed ticker; Core pings at once and then 2 min after each ping, but
    // only once the previous one was answered.
    let first_ping = match peer.profile {
        Profile::Btcd => tokio::time::Instant::now() + PING_INTERVAL,
        Profile::Core => tokio::time::Instant::now(),
    };
    let next_ping = tokio::time::sleep_until(first_ping);
    tokio::pin!(next_ping);
    let mut ping_outstanding: Option<u64> = None;
    let mut replies = 0u32;
    // A growing chain announces each new header with an `inv` (as a node that does not use
    // `sendheaders` announcements does).
    let next_block = tokio::time::sleep(peer.next_block_in().unwrap_or(NO_NEXT_BLOCK));
    tokio::pin!(next_block);
    let mut announced = peer.visible_tip_height();
    loop {
        let message = tokio::select! {
            biased;
            message = conn.recv() => message?,
            _ = &mut next_block, if peer.block_interval.is_some() && !pings_only => {
                let visible = peer.visible_tip_height();
                if visible > announced {
                    announced = visible;
                    if let Some(header) = peer.header_at(visible) {
                        conn.send(NetworkMessage::Inv(vec![Inventory::Block(header.block_hash())])).await?;
                    }
                }
                next_block.as_mut().reset(tokio::time::Instant::now() + peer.next_block_in().unwrap_or(NO_NEXT_BLOCK));
                continue;
            }
            _ = &mut next_ping, if ping_outstanding.is_none() || peer.profile == Profile::Btcd => {
                let nonce = rng.next_u64().max(1);
                peer.note_ping(nonce);
                conn.send(NetworkMessage::Ping(nonce)).await?;
                next_ping.as_mut().reset(tokio::time::Instant::now() + PING_INTERVAL);
                if peer.profile == Profile::Core {
                    ping_outstanding = Some(nonce);
                }
                continue;
            }
        };
        let Some(message) = message else {
            return Ok(());
        };
        match message {
            NetworkMessage::Ping(nonce) => {
                let reply = if peer.behaviour == Behaviour::WrongPongNonce {
                    nonce.wrapping_add(1)
                } else {
                    nonce
                };
                conn.send(NetworkMessage::Pong(reply)).await?;
            }
            NetworkMessage::Pong(nonce) if ping_outstanding == Some(nonce) => {
                ping_outstanding = None
            }
            NetworkMessage::GetHeaders(request) => {
                peer.observe_getheaders(conn.connection, &request);
                let locator_max = match peer.profile {
                    Profile::Btcd => BTCD_LOCATOR_HASHES_MAX,
                    Profile::Core => CORE_LOCATOR_HASHES_MAX,
                };
                if request.locator_hashes.len() > locator_max {
                    conn.writer.shutdown().await?;
                    return Ok(());
                }
                if pings_only {
                    continue;
                }
                if peer.behaviour == Behaviour::EmptyHeaders {
                    conn.send(NetworkMessage::Headers(Vec::new())).await?;
                    continue;
                }
                tokio::time::sleep(peer.headers_delay).await;
                let Some(mut headers) = peer.headers_for(&request) else {
                    continue;
                };
                replies += 1;
                match peer.behaviour {
                    Behaviour::BadPow { batch, index } if batch == replies => {
                        spoil_pow(&mut headers, index)
                    }
                    Behaviour::NonContinuous { batch, index }
                        if batch == replies && index < headers.len() =>
                    {
                        headers.remove(index);
                    }
                    Behaviour::TooManyHeaders if replies == 1 => {
                        let start = headers.first().map_or(1, |h| {
                            peer.hash_to_height
                                .get(&h.prev_blockhash)
                                .map_or(1, |p| *p as usize + 1)
                        });
                        headers = peer
                            .chain
                            .iter()
                            .skip(start)
                            .take(wire::HEADERS_PER_MESSAGE_MAX + 1)
                            .copied()
                            .collect();
                    }
                    Behaviour::CloseMidBatch { batch } if batch == replies => {
                        let frame = wire::encode(peer.magic, NetworkMessage::Headers(headers));
                        conn.write_raw(&frame[..frame.len() / 2]).await?;
                        conn.writer.shutdown().await?;
                        return Ok(());
                    }
                    _ => {}
                }
                conn.send(NetworkMessage::Headers(headers)).await?;
                if peer.behaviour == Behaviour::SilentAfterFirstHeaders {
                    return conn.drain().await;
                }
            }
            _ => {}
        }
    }
}

/// The rng seed of one connection: SHA-256 of the scenario seed, the peer's name and the
/// connection's number, so no two connections (nor the node, seeded with the scenario seed
/// itself) share a random stream.
fn connection_seed(seed: u64, name: &str, connection: u64) -> [u8; 32] {
    use bitcoin::hashes::sha256;
    let mut bytes = Vec::with_capacity(16 + name.len());
    bytes.extend_from_slice(&seed.to_le_bytes());
    bytes.extend_from_slice(name.as_bytes());
    bytes.extend_from_slice(&connection.to_le_bytes());
    sha256::Hash::hash(&bytes).to_byte_array()
}

/// Alters `headers[index]` (version, bits, time), then grinds it and every later header, each
/// re-linked to the one before, until each meets the target of its own bits.
fn craft(
    headers: &mut [Header],
    index: usize,
    version: Option<i32>,
    bits: Option<u32>,
    time_offset_s: Option<i64>,
) {
    let Some(header) = headers.get_mut(index) else {
        return;
    };
    if let Some(version) = version {
        header.version = bitcoin::block::Version::from_consensus(version);
    }
    if let Some(bits) = bits {
        header.bits = bitcoin::CompactTarget::from_consensus(bits);
    }
    if let Some(offset) = time_offset_s {
        header.time = u32::try_from(i64::from(header.time) + offset).unwrap_or(header.time);
    }
    for i in index..headers.len() {
        if i > 0 {
            headers[i].prev_blockhash = headers[i - 1].block_hash();
        }
        let target = headers[i].target();
        while !target.is_met_by(headers[i].block_hash()) {
            headers[i].nonce = headers[i].nonce.wrapping_add(1);
        }
    }
}

/// Bumps the nonce of `headers[index]` until its hash misses the target of its own bits.
fn spoil_pow(headers: &mut [Header], index: usize) {
    if let Some(header) = headers.get_mut(index) {
        let target = header.target();
        header.nonce = header.nonce.wrapping_add(1);
        while target.is_met_by(header.block_hash()) {
            header.nonce = header.nonce.wrapping_add(1);
        }
    }
}

async fn run_script<S: AsyncRead + AsyncWrite>(
    conn: &mut Conn<S>,
    peer: &FakePeer,
    steps: &[Step],
    rng: &mut ChaCha8Rng,
    _dialled_out: bool,
) -> io::Result<()> {
    let mut junk = JunkFrames::new();
    match run_steps(conn, peer, steps, rng, 0, &mut junk).await? {
        Flow::Next => conn.drain().await,
        Flow::Stop => Ok(()),
    }
}

/// Whether a script goes on after some of its steps.
enum Flow {
    /// On to the next step.
    Next,
    /// The script is over (`close`, `honest`, or the connection closed).
    Stop,
}

/// `junk` frames already built, by command and payload length.
type JunkFrames = BTreeMap<(String, u32), Rc<Vec<u8>>>;

/// Runs `steps` with heights and nonces shifted by `shift` (see [`Step::Repeat`]). Boxed,
/// since a `repeat` runs its steps through this function again.
fn run_steps<'a, S: AsyncRead + AsyncWrite + 'a>(
    conn: &'a mut Conn<S>,
    peer: &'a FakePeer,
    steps: &'a [Step],
    rng: &'a mut ChaCha8Rng,
    shift: u32,
    junk: &'a mut JunkFrames,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = io::Result<Flow>> + 'a>> {
    Box::pin(async move {
        for step in steps {
            match step {
                Step::WaitFor(command) => loop {
                    match conn.recv().await? {
                        None => return Ok(Flow::Stop),
                        Some(message) if wire::command_name(&message) == *command => break,
                        Some(_) => {}
                    }
                },
                Step::Send(spec) => {
                    let frame = frame_of(spec, peer, rng, shift, junk)?;
                    note_if_ping(spec, peer, shift);
                    conn.send_bytes(&frame).await?;
                }
                Step::SendSplit {
                    send,
                    first_bytes,
                    delay_ms,
                } => {
                    let frame = frame_of(send, peer, rng, shift, junk)?;
                    note_if_ping(send, peer, shift);
                    let cut = usize::try_from(*first_bytes)
                        .unwrap_or(usize::MAX)
                        .min(frame.len());
                    conn.write_raw(&frame[..cut]).await?;
                    tokio::time::sleep(Duration::from_millis(*delay_ms)).await;
                    conn.write_raw(&frame[cut..]).await?;
                }
                Step::DelayMs(ms) => tokio::time::sleep(Duration::from_millis(*ms)).await,
                Step::Close => {
                    conn.writer.shutdown().await?;
                    return Ok(Flow::Stop);
                }
                Step::Honest => {
                    serve_honestly(conn, peer, rng).await?;
                    return Ok(Flow::Stop);
                }
                Step::AnswersPingsOnly => {
                    serve_loop(conn, peer, rng, true).await?;
                    return Ok(Flow::Stop);
                }
                Step::Repeat {
                    times,
                    shift: per_round,
                    steps,
                } => {
                    for round in 0..*times {
                        let shifted = shift.saturating_add(round.saturating_mul(*per_round));
                        if let Flow::Stop =
                            run_steps(&mut *conn, peer, steps, &mut *rng, shifted, &mut *junk)
                                .await?
                        {
                            return Ok(Flow::Stop);
                        }
                    }
                }
            }
        }
        Ok(Flow::Next)
    })
}

/// Records a scripted `ping` (its nonce shifted as [`frame_of`] shifts it).
fn note_if_ping(spec: &SendSpec, peer: &FakePeer, shift: u32) {
    if let SendSpec::Ping(nonce) = spec {
        peer.note_ping(nonce.wrapping_add(u64::from(shift)));
    }
}

/// The whole frame (header and payload) a script step sends, its heights and nonces raised by
/// `shift` (see [`Step::Repeat`]); `junk` frames come from (and go to) the cache.
///
/// # Errors
/// A `raw` payload that is not hex, a `junk` payload over [`JUNK_PAYLOAD_BYTES_MAX`] (the
/// scenario loader checks both first).
fn frame_of(
    spec: &SendSpec,
    peer: &FakePeer,
    rng: &mut ChaCha8Rng,
    shift: u32,
    junk: &mut JunkFrames,
) -> io::Result<Rc<Vec<u8>>> {
    let height = |h: &u32| h.saturating_add(shift);
    let nonce = |n: &u64| n.wrapping_add(u64::from(shift));
    let message = match spec {
        SendSpec::Version => NetworkMessage::Version(peer.version_message(rng)),
        SendSpec::Verack => NetworkMessage::Verack,
        SendSpec::Sendheaders => NetworkMessage::SendHeaders,
        SendSpec::Sendaddrv2 => NetworkMessage::SendAddrV2,
        SendSpec::Wtxidrelay => NetworkMessage::WtxidRelay,
        SendSpec::Sendcmpct => NetworkMessage::SendCmpct(SendCmpct {
            send_compact: false,
            version: 2,
        }),
        SendSpec::Feefilter(rate) => NetworkMessage::FeeFilter(*rate),
        SendSpec::Ping(n) => NetworkMessage::Ping(nonce(n)),
        SendSpec::Pong(n) => NetworkMessage::Pong(nonce(n)),
        SendSpec::Getheaders { locator_heights } => {
            NetworkMessage::GetHeaders(GetHeadersMessage::new(
                locator_heights
                    .iter()
                    .filter_map(|h| peer.header_at(height(h)).map(Header::block_hash))
                    .collect(),
                BlockHash::all_zeros(),
            ))
        }
        SendSpec::Headers { from_height, count } => NetworkMessage::Headers(
            (height(from_height)..)
                .map_while(|h| peer.header_at(h).copied())
                .take(*count as usize)
                .collect(),
        ),
        SendSpec::Getaddr => NetworkMessage::GetAddr,
        SendSpec::InvBlock { height: at } => {
            let hashes = peer
                .header_at(height(at))
                .map(|h| wire::Inventory::Block(h.block_hash()));
            NetworkMessage::Inv(hashes.into_iter().collect())
        }
        SendSpec::Crafted {
            from_height,
            count,
            index,
            version,
            bits,
            time_offset_s,
            pow_invalid,
        } => {
            let mut headers: Vec<Header> = (height(from_height)..)
                .map_while(|h| peer.header_at(h).copied())
                .take(*count as usize)
                .collect();
            craft(
                &mut headers,
                *index as usize,
                *version,
                *bits,
                *time_offset_s,
            );
            if *pow_invalid {
                spoil_pow(&mut headers, *index as usize);
            }
            NetworkMessage::Headers(headers)
        }
        SendSpec::Raw {
            command,
            payload_hex,
        } => {
            let payload = hex_bytes(payload_hex).ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("raw payload `{payload_hex}` is not hex"),
                )
            })?;
            return Ok(Rc::new(wire::encode_raw(peer.magic, command, &payload)));
        }
        SendSpec::Junk {
            command,
            payload_bytes,
        } => {
            if *payload_bytes > JUNK_PAYLOAD_BYTES_MAX {
                let message = format!(
                    "junk payload of {payload_bytes} bytes is over {JUNK_PAYLOAD_BYTES_MAX}"
                );
                return Err(io::Error::new(io::ErrorKind::InvalidInput, message));
            }
            let frame = junk
                .entry((command.clone(), *payload_bytes))
                .or_insert_with(|| {
                    Rc::new(wire::encode_raw(
                        peer.magic,
                        command,
                        &vec![0u8; *payload_bytes as usize],
                    ))
                });
            return Ok(frame.clone());
        }
    };
    Ok(Rc::new(wire::encode(peer.magic, message)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::chain::ChainSpec;
    use bitcoin::Network;

    /// A fake peer serving a chain from height 4 knows its base (the parent of its first
    /// header) as height 3, advertises its real tip height, and answers unknown locators from
    /// its lowest header.
    #[test]
    fn a_fake_peer_serves_a_mid_chain_file_from_its_base() {
        let chain = ChainSpec::Regtest {
            height: 10,
            seed: 1,
            fork: None,
        }
        .build()
        .unwrap();
        let settings = FakePeerSettings {
            first_height: 4,
            ..FakePeerSettings::default()
        };
        let peer = FakePeer::new("p", Network::Regtest, chain[4..].to_vec(), settings);
        assert_eq!(peer.start_height, 10);
        let zero = bitcoin::BlockHash::all_zeros();
        let ask = |locator: Vec<bitcoin::BlockHash>, stop| {
            peer.headers_for(&GetHeadersMessage::new(locator, stop))
        };
        assert_eq!(
            ask(vec![chain[3].block_hash()], zero),
            Some(chain[4..].to_vec()),
            "the base is known"
        );
        assert_eq!(
            ask(vec![chain[6].block_hash(), chain[3].block_hash()], zero),
            Some(chain[7..].to_vec())
        );
        assert_eq!(
            ask(vec![chain[0].block_hash()], zero),
            Some(chain[4..].to_vec()),
            "below the base: from the lowest"
        );
        assert_eq!(
            ask(vec![chain[3].block_hash()], chain[8].block_hash()),
            Some(chain[4..=8].to_vec())
        );
        assert_eq!(ask(vec![], chain[5].block_hash()), Some(vec![chain[5]]));

        // From genesis, an unknown locator is still answered from height 1.
        let genesis_peer = FakePeer::new(
            "g",
            Network::Regtest,
            chain.clone(),
            FakePeerSettings::default(),
        );
        assert_eq!(genesis_peer.start_height, 10);
        let served = genesis_peer.headers_for(&GetHeadersMessage::new(vec![zero], zero));
        assert_eq!(served, Some(chain[1..].to_vec()));
    }

    /// An empty locator with an unknown stop hash: a btcd peer answers an empty `headers`
    /// (`locateInventory` finds nothing), a Core peer nothing at all (checked against a real
    /// bitcoind by `tests/fake_vs_bitcoind.rs`).
    #[test]
    fn an_empty_locator_with_an_unknown_stop_gets_an_empty_reply_from_btcd_and_none_from_core() {
        let chain = ChainSpec::Regtest {
            height: 5,
            seed: 1,
            fork: None,
        }
        .build()
        .unwrap();
        let request = GetHeadersMessage::new(vec![], bitcoin::BlockHash::all_zeros());
        let btcd = FakePeer::new(
            "b",
            Network::Regtest,
            chain.clone(),
            FakePeerSettings::default(),
        );
        assert_eq!(btcd.headers_for(&request), Some(vec![]));
        let settings = FakePeerSettings {
            profile: node::Profile::Core,
            ..FakePeerSettings::default()
        };
        let core = FakePeer::new("c", Network::Regtest, chain, settings);
        assert_eq!(core.headers_for(&request), None);
    }
}
