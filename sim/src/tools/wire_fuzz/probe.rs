//! One case against one real peer: what it did with the bytes, as an [`Observation`].

use std::fmt;
use std::time::{Duration, Instant};

use bitcoin::p2p::message_network::VersionMessage;
use bitcoin::p2p::{Address, ServiceFlags};
use node::wire::NetworkMessage;

use super::cases::WireCase;
use crate::real::{RealError, WireClient, WireEnd};

/// Pause between two pieces of a split case, so that each arrives in its own read.
const PIECE_PAUSE: Duration = Duration::from_millis(5);

/// How long to wait for the `pong` (or the close) after the case, before calling the
/// connection silent.
pub const REPLY_WAIT: Duration = Duration::from_millis(1500);

/// How long a handshake may take.
const HANDSHAKE_MAX: Duration = Duration::from_secs(10);

/// The nonce of the `ping` sent after each case.
const PROBE_NONCE: u64 = 0x005e_ed0f_f00d;

/// What happened after the case's bytes and a following `ping`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reply {
    /// The `ping` was answered with its nonce: the connection kept going.
    Answered,
    /// The peer closed the connection (before answering).
    Closed,
    /// Neither within [`REPLY_WAIT`]: the peer still waits for bytes (a frame it has not
    /// seen the end of) or ignored the `ping`.
    Silent,
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reply::Answered => "ping answered",
            Reply::Closed => "closed",
            Reply::Silent => "silent",
        })
    }
}

/// The messages a peer sent in answer to a case (before the reply to the probe `ping`), of
/// the commands both a full node and a header-only node send: what a header-only node never
/// sends (`sendcmpct`, `feefilter`, `getaddr`, `addr`, `inv`, `getdata`, ...) and the peer's
/// own timer-driven `ping`s are not counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Answers {
    /// `pong`s other than the probe's (answers to the case's own `ping`s).
    pub pongs: u32,
    /// `headers` messages.
    pub headers: u32,
    /// `getheaders` messages.
    pub getheaders: u32,
    /// `reject` messages (Core never sends one).
    pub rejects: u32,
}

impl Answers {
    fn note(&mut self, message: &NetworkMessage) {
        match message {
            NetworkMessage::Pong(nonce) if *nonce != PROBE_NONCE => self.pongs += 1,
            NetworkMessage::Headers(_) => self.headers += 1,
            NetworkMessage::GetHeaders(_) => self.getheaders += 1,
            NetworkMessage::Reject(_) => self.rejects += 1,
            _ => {}
        }
    }
}

impl fmt::Display for Answers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let counts = [
            ("pong", self.pongs),
            ("headers", self.headers),
            ("getheaders", self.getheaders),
            ("reject", self.rejects),
        ];
        let sent: Vec<String> = counts
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(command, n)| format!("{n} {command}"))
            .collect();
        if sent.is_empty() {
            f.write_str("nothing")
        } else {
            f.write_str(&sent.join(", "))
        }
    }
}

/// What a peer did with one case: compared field by field between bitcoind and the node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Observation {
    /// The connection after the case.
    pub reply: Reply,
    /// What it sent in answer to the case.
    pub answers: Answers,
    /// For a case carrying headers: whether the peer stored its probe header.
    pub header_stored: Option<bool>,
    /// Whether a new connection from the same address completes a handshake afterwards (a
    /// peer that banned or discouraged the address refuses it).
    pub reconnects: bool,
}

impl fmt::Display for Observation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}; sent {}", self.reply, self.answers)?;
        match self.header_stored {
            Some(true) => f.write_str(", header stored")?,
            Some(false) => f.write_str(", header not stored")?,
            None => {}
        }
        if !self.reconnects {
            f.write_str(", new connection refused")?;
        }
        Ok(())
    }
}

/// Our `version` to a probed peer: our protocol version, no services, a fresh `nonce`.
pub fn probe_version(nonce: u64) -> VersionMessage {
    let loopback: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    VersionMessage {
        version: node::config::PROTOCOL_VERSION,
        services: ServiceFlags::NONE,
        timestamp: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
        receiver: Address::new(&loopback, ServiceFlags::NONE),
        sender: Address::new(&loopback, ServiceFlags::NONE),
        nonce,
        user_agent: "/headersim-wire-fuzz:0.1/".into(),
        start_height: 0,
        relay: false,
    }
}

/// Connects to `addr`, completes a handshake, sends the case's pieces and a `ping`, and
/// watches for the `pong` or the close, counting the [`Answers`] on the way.
///
/// # Errors
/// [`RealError`] if the connection or the handshake fails (before any case byte went out).
pub fn send_case(addr: &str, case: &WireCase) -> Result<(Reply, Answers), RealError> {
    let mut client = WireClient::connect(addr, bitcoin::Network::Regtest)?;
    client.handshake(
        probe_version(case.seed ^ case.index.rotate_left(17)),
        HANDSHAKE_MAX,
    )?;
    let mut sent = Ok(());
    for (i, piece) in case.pieces.iter().enumerate() {
        if i > 0 {
            std::thread::sleep(PIECE_PAUSE);
        }
        sent = client.send_bytes(piece);
        if sent.is_err() {
            break;
        }
    }
    if sent.is_ok() {
        sent = client.send(NetworkMessage::Ping(PROBE_NONCE));
    }
    let deadline = Instant::now() + REPLY_WAIT;
    let mut answers = Answers::default();
    loop {
        match client.next_message(deadline)? {
            Ok(NetworkMessage::Pong(nonce)) if nonce == PROBE_NONCE => {
                return Ok((Reply::Answered, answers));
            }
            Ok(message) => answers.note(&message),
            Err(WireEnd::Closed) => return Ok((Reply::Closed, answers)),
            Err(WireEnd::Silent) => {
                // A failed write means the peer had closed; reads then see the close too,
                // unless the reset lost it.
                let reply = if sent.is_err() {
                    Reply::Closed
                } else {
                    Reply::Silent
                };
                return Ok((reply, answers));
            }
        }
    }
}

/// Whether a new connection to `addr` completes a handshake within a few seconds.
pub fn reconnects(addr: &str, nonce: u64) -> bool {
    WireClient::connect(addr, bitcoin::Network::Regtest)
        .and_then(|mut client| client.handshake(probe_version(nonce), HANDSHAKE_MAX))
        .is_ok()
}
