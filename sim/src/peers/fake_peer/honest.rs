//! The peer's main loop after the handshake, as an honest peer runs it (pings on its profile's
//! cadence, pongs, `headers` for each `getheaders`, `inv` for a growing chain), with the
//! preset misbehaviours that spoil one of its answers.

use std::io;
use std::time::Duration;

use node::wire::{self, Inventory, NetworkMessage};
use node::Profile;
use rand_chacha::rand_core::RngCore;
use rand_chacha::ChaCha8Rng;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use super::conn::Conn;
use super::craft::spoil_pow;
use super::peer::FakePeer;
use crate::scenario::Behaviour;

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

/// Serves after the handshake as the peer's behaviour says (honestly, or only answering pings
/// for `answers_pings_only`).
pub(super) async fn serve_honestly<S: AsyncRead + AsyncWrite>(
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
pub(super) async fn serve_loop<S: AsyncRead + AsyncWrite>(
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
