//! A blocking P2P client for probing a real peer: handshake, arbitrary bytes, watch replies.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use bitcoin::p2p::Magic;
use node::wire::{self, FrameDecoder, NetworkMessage};

use super::RealError;

/// How a watch for a reply ended without the reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireEnd {
    /// The peer closed or reset the connection (or a write to it failed).
    Closed,
    /// Nothing ended the wait before its deadline: the connection is still open.
    Silent,
}

/// One TCP connection to a real peer, read with a deadline.
pub struct WireClient {
    stream: TcpStream,
    decoder: FrameDecoder,
    magic: Magic,
    addr: String,
}

impl WireClient {
    /// Connects to `addr` (`host:port`) for `network`'s frames.
    ///
    /// # Errors
    /// [`RealError::Io`] if the connection fails.
    pub fn connect(addr: &str, network: bitcoin::Network) -> Result<WireClient, RealError> {
        let stream = TcpStream::connect(addr).map_err(|source| RealError::Io {
            what: format!("connecting to {addr}"),
            source,
        })?;
        let _ = stream.set_nodelay(true);
        let magic = wire::magic_for(network);
        Ok(WireClient {
            stream,
            decoder: FrameDecoder::new(magic),
            magic,
            addr: addr.into(),
        })
    }

    /// The network magic of this connection.
    pub fn magic(&self) -> Magic {
        self.magic
    }

    /// Sends our `version`, waits for the peer's `version` and `verack` (ignoring whatever
    /// else it sends before them, such as `sendaddrv2` or `wtxidrelay`), then sends `verack`.
    /// Returns the peer's `version`.
    ///
    /// # Errors
    /// [`RealError::Handshake`] if the peer closes, stays silent past `timeout` or sends a
    /// frame that does not decode.
    pub fn handshake(
        &mut self,
        ours: bitcoin::p2p::message_network::VersionMessage,
        timeout: Duration,
    ) -> Result<bitcoin::p2p::message_network::VersionMessage, RealError> {
        let deadline = Instant::now() + timeout;
        self.send(NetworkMessage::Version(ours))
            .map_err(|end| self.handshake_error(format!("sending version: {end:?}")))?;
        let mut theirs = None;
        let mut verack = false;
        while theirs.is_none() || !verack {
            match self.next_message(deadline)? {
                Ok(NetworkMessage::Version(version)) => theirs = Some(version),
                Ok(NetworkMessage::Verack) => verack = true,
                Ok(_) => {}
                Err(end) => return Err(self.handshake_error(format!("{end:?} before verack"))),
            }
        }
        self.send(NetworkMessage::Verack)
            .map_err(|end| self.handshake_error(format!("sending verack: {end:?}")))?;
        theirs.ok_or_else(|| self.handshake_error("no version".into()))
    }

    fn handshake_error(&self, problem: String) -> RealError {
        RealError::Handshake {
            addr: self.addr.clone(),
            problem,
        }
    }

    /// Sends `message` as one frame.
    ///
    /// # Errors
    /// [`WireEnd::Closed`] if the write fails.
    pub fn send(&mut self, message: NetworkMessage) -> Result<(), WireEnd> {
        let frame = wire::encode(self.magic, message);
        self.send_bytes(&frame)
    }

    /// Writes `bytes` as they are.
    ///
    /// # Errors
    /// [`WireEnd::Closed`] if the write fails (the peer closed or reset the connection).
    pub fn send_bytes(&mut self, bytes: &[u8]) -> Result<(), WireEnd> {
        self.stream
            .write_all(bytes)
            .and_then(|()| self.stream.flush())
            .map_err(|_| WireEnd::Closed)
    }

    /// The next message from the peer: `Ok(Ok(message))`, or `Ok(Err(end))` when the peer
    /// closed or `deadline` passed first.
    ///
    /// # Errors
    /// [`RealError::Handshake`] if the peer's bytes do not decode (a real peer's never should).
    pub fn next_message(
        &mut self,
        deadline: Instant,
    ) -> Result<Result<NetworkMessage, WireEnd>, RealError> {
        let mut buf = [0u8; 64 * 1024];
        loop {
            match self.decoder.decode_next() {
                Ok(Some(message)) => return Ok(Ok(message)),
                Ok(None) => {}
                Err(error) => {
                    return Err(self.handshake_error(format!("undecodable frame from it: {error}")))
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(Err(WireEnd::Silent));
            }
            let wait = (deadline - now).max(Duration::from_millis(1));
            if self.stream.set_read_timeout(Some(wait)).is_err() {
                return Ok(Err(WireEnd::Closed));
            }
            match self.stream.read(&mut buf) {
                Ok(0) => return Ok(Err(WireEnd::Closed)),
                Ok(n) => self.decoder.extend(&buf[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return Ok(Err(WireEnd::Closed)),
            }
        }
    }
}
