//! Serving: the accept and dial loops, one connection from its first byte (the handshake of
//! the peer's profile, the presets that misbehave before or right after it), then the script,
//! the replay or the honest loop its behaviour asks for.

use std::io;
use std::rc::Rc;
use std::time::Duration;

use bitcoin::hashes::Hash;
use node::runtime::Network;
use node::wire::{self, FrameDecoder, Magic, NetworkMessage, SendCmpct};
use node::Profile;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tokio::io::{AsyncRead, AsyncWrite};

use super::conn::Conn;
use super::honest::serve_honestly;
use super::peer::FakePeer;
use super::script::run_script;
use crate::scenario::Behaviour;

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

/// Binds `addr` and accepts connections on it, serving each with `peer`, except while
/// `refusing` holds `true`: then it has no listener, so every dial to it is refused at once
/// (the `refuse_dials` fault). Its open connections go on either way. Forever.
///
/// # Errors
/// A failed bind or accept.
pub async fn listen_loop<N: Network>(
    net: N,
    addr: String,
    peer: Rc<FakePeer>,
    mut refusing: tokio::sync::watch::Receiver<bool>,
) -> io::Result<()> {
    loop {
        while *refusing.borrow_and_update() {
            if refusing.changed().await.is_err() {
                // Nobody can end the refusal any more.
                return std::future::pending().await;
            }
        }
        let listener = net.bind(&addr).await?;
        loop {
            tokio::select! {
                biased;
                changed = refusing.changed() => {
                    if changed.is_err() {
                        // Nobody can start a refusal any more: accept for good.
                        return accept_loop(net, listener, peer).await;
                    }
                    if *refusing.borrow_and_update() {
                        break;
                    }
                }
                accepted = net.accept(&listener) => {
                    let (stream, _) = accepted?;
                    let peer = peer.clone();
                    tokio::task::spawn_local(async move {
                        let _ = serve(stream, peer, false).await;
                    });
                }
            }
        }
        // Dropping the listener unbinds the port: a dial now finds nothing listening.
        drop(listener);
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
        unanswered_ping: None,
        received: 0,
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
