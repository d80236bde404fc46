//! One connection of a fake peer: decoding the node's frames, and writing the peer's own
//! through the message faults configured for it (drop, delay, duplicate, truncate, corrupt,
//! split, close).

use std::io;
use std::rc::Rc;
use std::time::Duration;

use node::wire::{self, FrameDecoder, Magic, NetworkMessage};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};

use super::peer::FakePeer;
use crate::scenario::MessageAction;

/// One connection of a fake peer: frames in, frames out (through the peer's message faults).
pub(super) struct Conn<S> {
    /// Which of the peer's connections this is (0 for the first).
    pub(super) connection: u64,
    pub(super) reader: ReadHalf<S>,
    pub(super) writer: WriteHalf<S>,
    pub(super) decoder: FrameDecoder,
    pub(super) magic: Magic,
    pub(super) buf: Vec<u8>,
    pub(super) peer: Rc<FakePeer>,
    /// The nonce of the node's latest `ping` read on this connection that a script's
    /// `pong_echo` has not answered yet.
    pub(super) unanswered_ping: Option<u64>,
    /// The node's messages read on this connection so far (for [`super::WireChunk`]).
    pub(super) received: usize,
}

impl<S: AsyncRead + AsyncWrite> Conn<S> {
    /// The node's next message (`None`: the node closed the connection). Notes the nonce of
    /// every `ping` (for a script's `pong_echo`) and every `version` (in the run's
    /// [`super::NodeVersions`]).
    pub(super) async fn recv(&mut self) -> io::Result<Option<NetworkMessage>> {
        loop {
            match self.decoder.decode_next() {
                Ok(Some(message)) => {
                    self.received += 1;
                    match &message {
                        NetworkMessage::Ping(nonce) => self.unanswered_ping = Some(*nonce),
                        NetworkMessage::Version(version) => {
                            self.peer.node_versions.note(&self.peer.name, version.nonce)
                        }
                        _ => {}
                    }
                    return Ok(Some(message));
                }
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

    pub(super) async fn send(&mut self, message: NetworkMessage) -> io::Result<()> {
        self.send_bytes(&wire::encode(self.magic, message)).await
    }

    /// Sends one whole frame, through the peer's message faults.
    pub(super) async fn send_bytes(&mut self, frame: &[u8]) -> io::Result<()> {
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
    pub(super) async fn write_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.peer.note_write(self.connection, bytes, self.received);
        self.writer.write_all(bytes).await?;
        self.writer.flush().await
    }

    /// Reads and drops everything until the other side closes.
    pub(super) async fn drain(&mut self) -> io::Result<()> {
        while self.recv().await?.is_some() {}
        Ok(())
    }
}
