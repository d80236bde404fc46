//! The real half of a conformance check: the scripted peers' bytes played to a real bitcoind
//! in step with its mock clock.
//!
//! bitcoind starts with `-mocktime` at the scenario's epoch. Simulated time then advances in
//! steps: at each step the driver sets bitcoind's clock (`setmocktime`, whole seconds), opens
//! the connections due (an outbound one by asking bitcoind to dial a local listener: `addnode
//! ADDR onetry` for a manual peer, `addconnection ADDR outbound-full-relay false` for an
//! automatic one; an inbound one by dialling bitcoind), writes every chunk the peer wrote in the
//! simulation up to that time, closes what the peer closed, and reads what bitcoind sends until
//! it has been quiet for a moment. A step is at most [`STEP_MS_MAX`] of simulated time, so
//! bitcoind's own timers (pings, timeouts) fire within that of their simulated moment.
//!
//! bitcoind is a full node: after headers it asks for their blocks. A played peer answers a
//! `getdata` for a block whose header it has written with the whole block, when the scenario's
//! chains carry it ([`crate::scenario::chain::ChainSpec::regtest_blocks`]), and stays silent on
//! the rest as the simulated peer would. After every step the driver waits while bitcoind is
//! still downloading blocks, so its block tip has followed its headers before simulated time
//! moves on (its download is wall-clock work the scenario does not model).
//!
//! Two things are rewritten on the way, since bitcoind's nonces are not the node's: a `pong`
//! whose nonce echoes (or is one off) the node's latest `ping` on that connection carries
//! bitcoind's latest `ping` nonce the same way.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use bitcoin::p2p::Magic;
use bitcoin::{Block, BlockHash};
use node::protocol::ConnectionType;
use node::wire::{self, FrameDecoder, Inventory, NetworkMessage};

use super::sim_side::Plan;
use crate::real::{Bitcoind, RealError};

/// The loopback address a NoBan peer talks from (its listener for an outbound connection,
/// its source address for an inbound one); every other played peer uses 127.0.0.1. Linux
/// routes all of 127.0.0.0/8 to the loopback device.
pub const NOBAN_IP: &str = "127.0.0.2";

/// The longest simulated step between two looks at bitcoind.
pub const STEP_MS_MAX: u64 = 2000;

/// How long bitcoind must stay quiet before a step ends (its message handler wakes every
/// 100 ms of wall time; its socket handler every 50 ms).
const QUIET: Duration = Duration::from_millis(60);

/// Wall time given to bitcoind after its clock moved, before looking for quiet.
const AFTER_CLOCK_MOVE: Duration = Duration::from_millis(160);

/// How long bitcoind may take to dial one of our listeners.
const DIAL_WAIT: Duration = Duration::from_secs(10);

/// What bitcoind did on one peer's connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RealConnection {
    /// Every command bitcoind sent, with the simulated ms of the step that read it.
    pub sent: Vec<(u64, String)>,
    /// When bitcoind closed the connection (the step that saw the end), if it did.
    pub closed_at_ms: Option<u64>,
    /// Whether the connection was ever made.
    pub connected: bool,
}

/// What the real run produced.
#[derive(Debug, Clone)]
pub struct RealSide {
    /// Per host.
    pub connections: BTreeMap<String, RealConnection>,
    /// bitcoind's best header at the end: height and hash (`getchaintips`, most work).
    pub best_header: (u32, String),
}

struct Live {
    plan: Plan,
    stream: Option<TcpStream>,
    decoder: FrameDecoder,
    next_chunk: usize,
    result: RealConnection,
    bitcoind_pings: Vec<u64>,
    /// When we last wrote on it (a close waits [`CLOSE_AFTER_WRITE`] after it).
    last_write: Option<Instant>,
    /// We closed our side (the peer's own close): reading goes on until bitcoind's end.
    closing: bool,
    done: bool,
    /// Hashes of the headers this peer has written so far: the blocks it may serve.
    announced: BTreeSet<BlockHash>,
    /// Blocks written in answer to bitcoind's `getdata`.
    blocks_served: usize,
}

/// Wall time between our last write on a connection and the peer's close of it, so bitcoind
/// reads and processes what came before (the simulated peer closed only after the node had
/// answered it; a close racing the data would make bitcoind drop unread messages).
const CLOSE_AFTER_WRITE: Duration = Duration::from_millis(300);

/// The whole blocks the played peers can serve, by hash.
pub type Blocks = BTreeMap<BlockHash, Block>;

/// Plays `plans` to `bitcoind` from simulated time 0 to `duration_ms`, its clock starting at
/// `epoch_s`; the peers serve `blocks` when asked.
///
/// # Errors
/// [`RealError`] when bitcoind's RPC fails or a connection cannot be set up.
pub fn play(
    bitcoind: &Bitcoind,
    plans: &[Plan],
    blocks: &Blocks,
    epoch_s: u64,
    duration_ms: u64,
) -> Result<RealSide, RealError> {
    let magic = Magic::REGTEST;
    let mut live: Vec<Live> = plans
        .iter()
        .map(|plan| Live {
            plan: plan.clone(),
            stream: None,
            decoder: FrameDecoder::new(magic),
            next_chunk: 0,
            result: RealConnection::default(),
            bitcoind_pings: Vec::new(),
            last_write: None,
            closing: false,
            done: false,
            announced: BTreeSet::new(),
            blocks_served: 0,
        })
        .collect();
    let mut now_ms = 0u64;
    let mut clock = Clock::start(bitcoind, epoch_s)?;
    loop {
        let served_before = served(&live);
        for conn in &mut live {
            step_connection(bitcoind, &mut clock, conn, now_ms, blocks)?;
        }
        pump(&mut live, now_ms, blocks);
        if served(&live) != served_before {
            settle_blocks(bitcoind, &mut live, now_ms, blocks)?;
        }
        if now_ms >= duration_ms {
            break;
        }
        let next_event = live
            .iter()
            .filter_map(|c| next_event_ms(c, now_ms))
            .min()
            .unwrap_or(u64::MAX);
        let next_ms = next_event.min(now_ms + STEP_MS_MAX).min(duration_ms);
        now_ms = next_ms.max(now_ms + 1);
        if clock.follow(bitcoind, now_ms)? {
            std::thread::sleep(AFTER_CLOCK_MOVE);
        }
    }
    let connections = live
        .into_iter()
        .map(|c| (c.plan.host.clone(), c.result))
        .collect();
    Ok(RealSide {
        connections,
        best_header: best_header(bitcoind)?,
    })
}

/// bitcoind's mock clock, in the whole seconds `setmocktime` takes.
struct Clock {
    epoch_s: u64,
    /// What bitcoind's clock reads now.
    now_s: u64,
}

impl Clock {
    fn start(bitcoind: &Bitcoind, epoch_s: u64) -> Result<Clock, RealError> {
        let clock = Clock {
            epoch_s,
            now_s: epoch_s,
        };
        clock.set(bitcoind)?;
        Ok(clock)
    }

    fn set(&self, bitcoind: &Bitcoind) -> Result<(), RealError> {
        bitcoind.call::<serde_json::Value>("setmocktime", &[self.now_s.into()])?;
        Ok(())
    }

    /// Moves the clock to simulated `now_ms`, rounded down to its second (never back: a clock
    /// rounded up by [`Clock::round_up`] waits for simulated time to catch up). Returns
    /// whether it moved.
    fn follow(&mut self, bitcoind: &Bitcoind, now_ms: u64) -> Result<bool, RealError> {
        self.move_to(bitcoind, self.epoch_s + now_ms / 1000)
    }

    /// Moves the clock to simulated `now_ms` rounded *up* to its second, if it is behind
    /// that: a deadline the node passed within the current second has then passed for
    /// bitcoind too. Returns whether it moved.
    fn round_up(&mut self, bitcoind: &Bitcoind, now_ms: u64) -> Result<bool, RealError> {
        self.move_to(bitcoind, self.epoch_s + now_ms.div_ceil(1000))
    }

    /// Moves the clock forward to `want_s` (never back). Returns whether it moved.
    fn move_to(&mut self, bitcoind: &Bitcoind, want_s: u64) -> Result<bool, RealError> {
        if want_s <= self.now_s {
            return Ok(false);
        }
        self.now_s = want_s;
        self.set(bitcoind)?;
        Ok(true)
    }
}

/// The next simulated time this connection has something to do after `now_ms`.
fn next_event_ms(conn: &Live, now_ms: u64) -> Option<u64> {
    if conn.done || conn.closing {
        return None;
    }
    if conn.stream.is_none() {
        return Some(conn.plan.connect_at_ms.max(now_ms + 1));
    }
    let chunk = conn.plan.chunks.get(conn.next_chunk).map(|c| c.at_ms);
    let close = conn.plan.peer_closes_at_ms;
    [chunk, close]
        .into_iter()
        .flatten()
        .filter(|&t| t > now_ms)
        .min()
}

/// Opens, writes or closes what is due on `conn` at `now_ms`.
fn step_connection(
    bitcoind: &Bitcoind,
    clock: &mut Clock,
    conn: &mut Live,
    now_ms: u64,
    blocks: &Blocks,
) -> Result<(), RealError> {
    let magic = Magic::REGTEST;
    if conn.done || conn.closing {
        return Ok(());
    }
    if conn.stream.is_none() {
        if now_ms < conn.plan.connect_at_ms {
            return Ok(());
        }
        let stream = open(bitcoind, conn)?;
        let _ = stream.set_nodelay(true);
        stream
            .set_nonblocking(true)
            .map_err(|source| RealError::Io {
                what: "making a socket non-blocking".into(),
                source,
            })?;
        conn.stream = Some(stream);
        conn.result.connected = true;
    }
    while let Some(chunk) = conn.plan.chunks.get(conn.next_chunk).cloned() {
        if chunk.at_ms > now_ms {
            break;
        }
        let wanted = conn
            .plan
            .after_node_messages
            .get(conn.next_chunk)
            .copied()
            .unwrap_or(0);
        wait_for_bitcoind(bitcoind, clock, conn, wanted, now_ms, blocks)?;
        let bytes = rewrite_pong(&chunk.bytes, chunk.at_ms, conn, magic);
        note_announced(&mut conn.announced, &bytes, magic);
        conn.next_chunk += 1;
        if let Some(stream) = conn.stream.as_mut() {
            if write_all_nonblocking(stream, &bytes).is_err() {
                close(conn, now_ms);
                return Ok(());
            }
            conn.last_write = Some(Instant::now());
        }
    }
    if !conn.closing && conn.plan.peer_closes_at_ms.is_some_and(|t| t <= now_ms) {
        if let Some(written) = conn.last_write {
            std::thread::sleep(CLOSE_AFTER_WRITE.saturating_sub(written.elapsed()));
        }
        // Half-close (a FIN, no reset): bitcoind reads everything sent before it; `pump`
        // reads on until bitcoind closes too.
        if let Some(stream) = conn.stream.as_ref() {
            let _ = stream.shutdown(std::net::Shutdown::Write);
        }
        conn.closing = true;
    }
    Ok(())
}

/// How long the real side waits for bitcoind to have sent what a chunk answered.
const ANSWER_WAIT: Duration = Duration::from_secs(3);

/// Reads from `conn` until bitcoind has sent `wanted` in-sequence messages on it, or
/// [`ANSWER_WAIT`] passed (bitcoind then differs, and the comparison shows it). After
/// [`ROUND_UP_AFTER`] without them, bitcoind's clock is rounded up to the next whole second
/// of simulated time: the node may have answered on a deadline that passed within the second
/// bitcoind's clock still reads.
///
/// # Errors
/// [`RealError`] if moving the clock fails.
fn wait_for_bitcoind(
    bitcoind: &Bitcoind,
    clock: &mut Clock,
    conn: &mut Live,
    wanted: usize,
    now_ms: u64,
    blocks: &Blocks,
) -> Result<(), RealError> {
    let started = Instant::now();
    let mut rounded = false;
    let mut buf = vec![0u8; 64 * 1024];
    while in_sequence_count(conn) < wanted && started.elapsed() < ANSWER_WAIT {
        if !read_available(conn, now_ms, &mut buf, blocks) {
            std::thread::sleep(Duration::from_millis(2));
        }
        if conn.done {
            return Ok(());
        }
        if !rounded && started.elapsed() >= ROUND_UP_AFTER {
            rounded = true;
            clock.round_up(bitcoind, now_ms)?;
        }
    }
    Ok(())
}

/// How long the real side waits for an answer before rounding bitcoind's clock up.
const ROUND_UP_AFTER: Duration = Duration::from_millis(400);

fn in_sequence_count(conn: &Live) -> usize {
    conn.result
        .sent
        .iter()
        .filter(|(_, command)| super::compare::in_sequence(command))
        .count()
}

fn write_all_nonblocking(stream: &mut TcpStream, mut bytes: &[u8]) -> std::io::Result<()> {
    let started = Instant::now();
    while !bytes.is_empty() {
        match stream.write(bytes) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if started.elapsed() > Duration::from_secs(10) {
                    return Err(e);
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Makes the connection: bitcoind dials a fresh local listener for an outbound peer; we dial
/// bitcoind for an inbound one.
fn open(bitcoind: &Bitcoind, conn: &mut Live) -> Result<TcpStream, RealError> {
    let ip = if conn.plan.noban {
        NOBAN_IP
    } else {
        "127.0.0.1"
    };
    if conn.plan.connection_type == ConnectionType::Inbound {
        return dial_from(ip, &bitcoind.p2p_addr()).map_err(|source| RealError::Io {
            what: format!("dialling bitcoind from {ip} for {}", conn.plan.host),
            source,
        });
    }
    let listener = TcpListener::bind((ip, 0)).map_err(|source| RealError::Io {
        what: format!("listening for bitcoind's dial to {}", conn.plan.host),
        source,
    })?;
    let addr = listener
        .local_addr()
        .map_err(|source| RealError::Io {
            what: "reading a listener's address".into(),
            source,
        })?
        .to_string();
    match conn.plan.connection_type {
        ConnectionType::Manual => {
            bitcoind
                .call::<serde_json::Value>("addnode", &[addr.clone().into(), "onetry".into()])?;
        }
        _ => {
            bitcoind.call::<serde_json::Value>(
                "addconnection",
                &[
                    addr.clone().into(),
                    "outbound-full-relay".into(),
                    false.into(),
                ],
            )?;
        }
    }
    listener
        .set_nonblocking(true)
        .map_err(|source| RealError::Io {
            what: "making a listener non-blocking".into(),
            source,
        })?;
    let started = Instant::now();
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                stream
                    .set_nonblocking(false)
                    .map_err(|source| RealError::Io {
                        what: "accepting bitcoind's dial".into(),
                        source,
                    })?;
                return Ok(stream);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if started.elapsed() > DIAL_WAIT {
                    return Err(RealError::NotReady {
                        what: format!("bitcoind did not dial {addr} for {}", conn.plan.host),
                        log_tail: bitcoind.log_tail(20),
                    });
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(source) => {
                return Err(RealError::Io {
                    what: format!("accepting bitcoind's dial to {addr}"),
                    source,
                })
            }
        }
    }
}

/// Dials `to` from the local address `ip` (bound before connecting, so bitcoind sees the
/// connection come from it).
fn dial_from(ip: &str, to: &str) -> std::io::Result<TcpStream> {
    use socket2::{Domain, Socket, Type};
    let parse = |text: String| -> std::io::Result<std::net::SocketAddr> {
        text.parse()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
    };
    let (from, to) = (parse(format!("{ip}:0"))?, parse(to.to_string())?);
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.bind(&from.into())?;
    socket.connect(&to.into())?;
    Ok(socket.into())
}

/// A chunk that is exactly one `pong` echoing the node's latest `ping` (its nonce, or one
/// off) is rewritten to echo bitcoind's latest `ping` the same way; anything else is sent as
/// it was.
fn rewrite_pong(bytes: &[u8], at_ms: u64, conn: &Live, magic: Magic) -> Vec<u8> {
    let mut decoder = FrameDecoder::new(magic);
    decoder.extend(bytes);
    let Ok(Some(NetworkMessage::Pong(nonce))) = decoder.decode_next() else {
        return bytes.to_vec();
    };
    if decoder.buffered_len() != 0 {
        return bytes.to_vec();
    }
    let Some(&(_, node_nonce)) = conn.plan.node_pings.iter().rev().find(|(t, _)| *t <= at_ms)
    else {
        return bytes.to_vec();
    };
    let Some(&real) = conn.bitcoind_pings.last() else {
        return bytes.to_vec();
    };
    let echoed = if nonce == node_nonce {
        real
    } else if nonce == node_nonce.wrapping_sub(1) {
        real.wrapping_sub(1)
    } else if nonce == node_nonce.wrapping_add(1) {
        real.wrapping_add(1)
    } else {
        return bytes.to_vec();
    };
    wire::encode(magic, NetworkMessage::Pong(echoed))
}

fn close(conn: &mut Live, now_ms: u64) {
    if conn.result.closed_at_ms.is_none() && !conn.done && !conn.closing {
        conn.result.closed_at_ms = Some(now_ms);
    }
    conn.stream = None;
    conn.done = true;
}

/// Reads what bitcoind sends on every open connection until all have been quiet for
/// [`QUIET`]; every message read is stamped with `now_ms`.
fn pump(live: &mut [Live], now_ms: u64, blocks: &Blocks) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut last_activity = Instant::now();
    let started = Instant::now();
    loop {
        let mut active = false;
        for conn in live.iter_mut() {
            active |= read_available(conn, now_ms, &mut buf, blocks);
        }
        if active {
            last_activity = Instant::now();
        }
        if last_activity.elapsed() >= QUIET || started.elapsed() > Duration::from_secs(5) {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Reads whatever bitcoind has sent on `conn` without waiting, records its messages stamped
/// `now_ms`, answers its `getdata` for blocks the peer has announced and `blocks` holds, and
/// closes the connection at its end. Returns whether any byte came.
fn read_available(conn: &mut Live, now_ms: u64, buf: &mut [u8], blocks: &Blocks) -> bool {
    let Some(stream) = conn.stream.as_mut() else {
        return false;
    };
    let (mut active, mut ended) = (false, false);
    loop {
        match stream.read(buf) {
            Ok(0) => {
                ended = true;
                break;
            }
            Ok(n) => {
                active = true;
                conn.decoder.extend(&buf[..n]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => {
                ended = true;
                break;
            }
        }
    }
    let mut replies = Vec::new();
    while let Ok(Some(message)) = conn.decoder.decode_next() {
        match &message {
            NetworkMessage::Ping(nonce) => conn.bitcoind_pings.push(*nonce),
            NetworkMessage::GetData(inventory) => {
                replies.extend(blocks_asked(inventory, &conn.announced, blocks));
            }
            _ => {}
        }
        conn.result
            .sent
            .push((now_ms, message.command().to_string()));
    }
    if !ended && !conn.closing {
        for block in replies {
            let bytes = wire::encode(Magic::REGTEST, NetworkMessage::Block(block.clone()));
            let Some(stream) = conn.stream.as_mut() else {
                break;
            };
            if write_all_nonblocking(stream, &bytes).is_err() {
                ended = true;
                break;
            }
            conn.blocks_served += 1;
        }
    }
    if ended {
        close(conn, now_ms);
    }
    active
}

/// bitcoind's best header: the chain tip of most work in `getchaintips` (any status but
/// invalid), as height and hash.
fn best_header(bitcoind: &Bitcoind) -> Result<(u32, String), RealError> {
    let tips: Vec<serde_json::Value> = bitcoind.call("getchaintips", &[])?;
    let info: serde_json::Value = bitcoind.call("getblockchaininfo", &[])?;
    let headers = info["headers"].as_u64().unwrap_or(0);
    let best = tips
        .iter()
        .filter(|t| t["status"].as_str() != Some("invalid"))
        .filter(|t| t["height"].as_u64() == Some(headers))
        .find_map(|t| t["hash"].as_str().map(str::to_owned))
        .unwrap_or_default();
    Ok((u32::try_from(headers).unwrap_or(u32::MAX), best))
}

/// The blocks of `inventory` (as `block` or `witness block`) that the peer has announced and
/// `blocks` holds; the rest of a `getdata` goes unanswered, as the simulated peer leaves it.
fn blocks_asked<'a>(
    inventory: &[Inventory],
    announced: &BTreeSet<BlockHash>,
    blocks: &'a Blocks,
) -> Vec<&'a Block> {
    inventory
        .iter()
        .filter_map(|item| match item {
            Inventory::Block(hash) | Inventory::WitnessBlock(hash) => Some(hash),
            _ => None,
        })
        .filter(|hash| announced.contains(*hash))
        .filter_map(|hash| blocks.get(hash))
        .collect()
}

/// Adds the hash of every header in `bytes`' `headers` messages to `announced`.
fn note_announced(announced: &mut BTreeSet<BlockHash>, bytes: &[u8], magic: Magic) {
    let mut decoder = FrameDecoder::new(magic);
    decoder.extend(bytes);
    while let Ok(Some(message)) = decoder.decode_next() {
        if let NetworkMessage::Headers(headers) = message {
            announced.extend(headers.iter().map(|h| h.block_hash()));
        }
    }
}

/// The longest wall time the driver waits for bitcoind's block download in one step.
const SETTLE_WAIT: Duration = Duration::from_secs(120);

/// After a step in which a played peer served a block: while bitcoind is downloading, keeps reading and serving until
/// neither the blocks served nor bitcoind's block count move over one look (or
/// [`SETTLE_WAIT`] passed), so its block tip follows its headers before the clock moves on.
fn settle_blocks(
    bitcoind: &Bitcoind,
    live: &mut [Live],
    now_ms: u64,
    blocks: &Blocks,
) -> Result<(), RealError> {
    let started = Instant::now();
    let mut last = (served(live), block_count(bitcoind)?);
    loop {
        std::thread::sleep(Duration::from_millis(50));
        pump(live, now_ms, blocks);
        let now = (served(live), block_count(bitcoind)?);
        if now == last || started.elapsed() > SETTLE_WAIT {
            return Ok(());
        }
        last = now;
    }
}

/// Blocks written by all played peers so far.
fn served(live: &[Live]) -> usize {
    live.iter().map(|c| c.blocks_served).sum()
}

fn block_count(bitcoind: &Bitcoind) -> Result<u64, RealError> {
    bitcoind.call::<u64>("getblockcount", &[])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::chain::ChainSpec;
    use bitcoin::hashes::Hash;

    fn chain_blocks() -> Vec<Block> {
        ChainSpec::Regtest {
            height: 4,
            seed: 3,
            fork: None,
        }
        .regtest_blocks()
        .unwrap()
        .unwrap()
    }

    #[test]
    fn a_peer_serves_only_blocks_it_has_announced_and_the_scenario_holds() {
        let chain = chain_blocks();
        let blocks: Blocks = chain.iter().map(|b| (b.block_hash(), b.clone())).collect();
        let mut announced = BTreeSet::new();
        let headers: Vec<_> = chain[1..3].iter().map(|b| b.header).collect();
        let mut bytes = wire::encode(Magic::REGTEST, NetworkMessage::Ping(1));
        bytes.extend(wire::encode(
            Magic::REGTEST,
            NetworkMessage::Headers(headers),
        ));
        note_announced(&mut announced, &bytes, Magic::REGTEST);
        assert_eq!(
            announced.len(),
            2,
            "the headers of the headers message only"
        );

        let unknown = BlockHash::from_byte_array([7; 32]);
        let asked = [
            Inventory::WitnessBlock(chain[1].block_hash()),
            Inventory::Block(chain[2].block_hash()),
            Inventory::WitnessBlock(chain[3].block_hash()),
            Inventory::Block(unknown),
        ];
        let served: Vec<BlockHash> = blocks_asked(&asked, &announced, &blocks)
            .into_iter()
            .map(Block::block_hash)
            .collect();
        assert_eq!(
            served,
            vec![chain[1].block_hash(), chain[2].block_hash()],
            "block 3 was never announced by this peer; the unknown hash is not held"
        );
        announced.insert(unknown);
        assert_eq!(
            blocks_asked(&[Inventory::Block(unknown)], &announced, &blocks).len(),
            0,
            "an announced header whose block the scenario does not hold goes unanswered"
        );
    }
}
