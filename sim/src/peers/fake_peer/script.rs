//! Scripted peers: a [`Step`] list run message by message (`wait_for`, `send`, `send_split`,
//! `delay_ms`, `close`, `repeat`), handing over to the honest loop on `honest` or
//! `answers_pings_only`. A step can answer what the node sent: `pong_echo` the node's ping on
//! this connection, `version_with` a nonce from the node's `version` on another peer's.

use std::collections::BTreeMap;
use std::io;
use std::rc::Rc;
use std::time::Duration;

use bitcoin::block::Header;
use bitcoin::hashes::Hash;
use bitcoin::BlockHash;
use node::wire::{self, GetHeadersMessage, NetworkMessage, SendCmpct};
use rand_chacha::ChaCha8Rng;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use super::conn::Conn;
use super::craft::{craft, spoil_pow};
use super::honest::{serve_honestly, serve_loop};
use super::peer::FakePeer;
use crate::scenario::{
    hex_bytes, pieces, SendSpec, Step, UnservedMessage, VersionNonce, JUNK_PAYLOAD_BYTES_MAX,
};

/// Runs a scripted peer's steps on one connection; after the last one it keeps reading and
/// stays silent.
pub(super) async fn run_script<S: AsyncRead + AsyncWrite>(
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
                    let Some(frame) = frame_for(conn, spec, peer, rng, shift, junk).await? else {
                        return Ok(Flow::Stop);
                    };
                    note_if_ping(spec, peer, shift);
                    if matches!(spec, SendSpec::BytesHex(_)) {
                        conn.write_raw(&frame).await?;
                    } else {
                        conn.send_bytes(&frame).await?;
                    }
                }
                Step::SendSplit {
                    send,
                    first_bytes,
                    split_at,
                    delay_ms,
                } => {
                    let Some(frame) = frame_for(conn, send, peer, rng, shift, junk).await? else {
                        return Ok(Flow::Stop);
                    };
                    note_if_ping(send, peer, shift);
                    let cuts = match first_bytes {
                        Some(first_bytes) => std::slice::from_ref(first_bytes),
                        None => split_at.as_slice(),
                    };
                    for (i, piece) in pieces(&frame, cuts).into_iter().enumerate() {
                        if i > 0 {
                            tokio::time::sleep(Duration::from_millis(*delay_ms)).await;
                        }
                        conn.write_raw(piece).await?;
                    }
                }
                Step::DelayMs(ms) => tokio::time::sleep(Duration::from_millis(*ms)).await,
                Step::Close => {
                    conn.writer.shutdown().await?;
                    peer.note_close(conn.connection);
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

/// The bytes a script step sends, once what they answer is known: a `pong_echo` first reads
/// until the node has sent a ping not yet echoed, a `version_with` taking a nonce from the
/// node waits until the named peer has read the node's `version`. `None`: the connection
/// closed while reading.
///
/// # Errors
/// A read error, or what [`frame_of`] returns.
async fn frame_for<S: AsyncRead + AsyncWrite>(
    conn: &mut Conn<S>,
    spec: &SendSpec,
    peer: &FakePeer,
    rng: &mut ChaCha8Rng,
    shift: u32,
    junk: &mut JunkFrames,
) -> io::Result<Option<Rc<Vec<u8>>>> {
    let message = match spec {
        SendSpec::PongEcho(transform) => {
            while conn.unanswered_ping.is_none() {
                if conn.recv().await?.is_none() {
                    return Ok(None);
                }
            }
            let nonce = conn.unanswered_ping.take().unwrap_or_default();
            NetworkMessage::Pong(transform.apply(nonce))
        }
        SendSpec::VersionWith(fields) => {
            let node_nonce = match &fields.nonce {
                Some(VersionNonce::NodeVersionOf(name)) => {
                    Some(peer.node_versions.wait_latest(name).await)
                }
                _ => None,
            };
            NetworkMessage::Version(peer.version_message_with(rng, fields, node_nonce))
        }
        _ => return frame_of(spec, peer, rng, shift, junk).map(Some),
    };
    Ok(Some(Rc::new(wire::encode(peer.magic, message))))
}

/// The whole frame (header and payload) a script step sends, its heights and nonces raised by
/// `shift` (see [`Step::Repeat`]); `junk` frames come from (and go to) the cache.
///
/// # Errors
/// A `raw` frame or `bytes_hex` that is not valid, a `junk` payload over
/// [`JUNK_PAYLOAD_BYTES_MAX`] (the scenario loader checks them first); a `pong_echo` or
/// `version_with`, which only [`frame_for`] builds.
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
        SendSpec::Unserved { message, count } => unserved(*message, *count, peer),
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
        SendSpec::Raw(frame) => {
            let frame = frame
                .frame(peer.magic.to_bytes())
                .map_err(|(field, problem)| {
                    io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("raw {field}: {problem}"),
                    )
                })?;
            return Ok(Rc::new(frame));
        }
        SendSpec::BytesHex(hex) => {
            let bytes = hex_bytes(hex).ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidInput, "bytes_hex is not hex")
            })?;
            return Ok(Rc::new(bytes));
        }
        SendSpec::PongEcho(_) | SendSpec::VersionWith(_) => {
            // Built by `frame_for`, which knows the connection.
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "pong_echo and version_with need the connection",
            ));
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

/// The message of an `unserved` step: `count` distinct dummy entries in a list message (hashes
/// and addresses numbered from 1), fixed small contents otherwise.
fn unserved(message: UnservedMessage, count: u32, peer: &FakePeer) -> NetworkMessage {
    use bitcoin::p2p::address::{AddrV2, AddrV2Message, Address};
    use bitcoin::p2p::message_blockdata::{GetBlocksMessage, Inventory};
    use bitcoin::p2p::message_bloom::{BloomFlags, FilterAdd, FilterLoad};
    use bitcoin::p2p::message_filter::{GetCFCheckpt, GetCFHeaders, GetCFilters};
    use bitcoin::p2p::ServiceFlags;
    use bitcoin::Txid;
    let numbered = |i: u32| {
        let mut bytes = [0u8; 32];
        bytes[..4].copy_from_slice(&(i + 1).to_le_bytes());
        bytes
    };
    let ip = |i: u32| std::net::Ipv4Addr::from(0x0a00_0000 + i + 1);
    let genesis = peer
        .header_at(0)
        .map_or(BlockHash::all_zeros(), Header::block_hash);
    match message {
        UnservedMessage::Getdata => NetworkMessage::GetData(
            (0..count)
                .map(|i| Inventory::Block(BlockHash::from_byte_array(numbered(i))))
                .collect(),
        ),
        UnservedMessage::Inv => NetworkMessage::Inv(
            (0..count)
                .map(|i| Inventory::Transaction(Txid::from_byte_array(numbered(i))))
                .collect(),
        ),
        UnservedMessage::Notfound => NetworkMessage::NotFound(
            (0..count)
                .map(|i| Inventory::Transaction(Txid::from_byte_array(numbered(i))))
                .collect(),
        ),
        UnservedMessage::Addr => NetworkMessage::Addr(
            (0..count)
                .map(|i| {
                    let addr = std::net::SocketAddr::from((ip(i), 8333));
                    (1_700_000_000, Address::new(&addr, ServiceFlags::NETWORK))
                })
                .collect(),
        ),
        UnservedMessage::Addrv2 => NetworkMessage::AddrV2(
            (0..count)
                .map(|i| AddrV2Message {
                    time: 1_700_000_000,
                    services: ServiceFlags::NETWORK,
                    addr: AddrV2::Ipv4(ip(i)),
                    port: 8333,
                })
                .collect(),
        ),
        UnservedMessage::Getcfilters => NetworkMessage::GetCFilters(GetCFilters {
            filter_type: 0,
            start_height: 0,
            stop_hash: genesis,
        }),
        UnservedMessage::Getcfheaders => NetworkMessage::GetCFHeaders(GetCFHeaders {
            filter_type: 0,
            start_height: 0,
            stop_hash: genesis,
        }),
        UnservedMessage::Getcfcheckpt => NetworkMessage::GetCFCheckpt(GetCFCheckpt {
            filter_type: 0,
            stop_hash: genesis,
        }),
        UnservedMessage::Filterload => NetworkMessage::FilterLoad(FilterLoad {
            filter: vec![0; 8],
            hash_funcs: 1,
            tweak: 0,
            flags: BloomFlags::None,
        }),
        UnservedMessage::Filteradd => NetworkMessage::FilterAdd(FilterAdd { data: vec![7; 32] }),
        UnservedMessage::Filterclear => NetworkMessage::FilterClear,
        UnservedMessage::Mempool => NetworkMessage::MemPool,
        UnservedMessage::Getblocks => {
            NetworkMessage::GetBlocks(GetBlocksMessage::new(vec![genesis], BlockHash::all_zeros()))
        }
        UnservedMessage::Tx => NetworkMessage::Tx(segwit_transaction(count.max(1))),
        UnservedMessage::Block => NetworkMessage::Block(block_over(genesis, count.max(1))),
    }
}

/// A block on `parent` holding `transactions` one-input segregated-witness transactions, the
/// `i`th spending output `i` (no two alike): a well-formed `block` that no one validates.
fn block_over(parent: BlockHash, transactions: u32) -> bitcoin::Block {
    use bitcoin::block::Version;
    use bitcoin::{CompactTarget, TxMerkleNode};
    bitcoin::Block {
        header: Header {
            version: Version::TWO,
            prev_blockhash: parent,
            merkle_root: TxMerkleNode::all_zeros(),
            time: 1_700_000_000,
            bits: CompactTarget::from_consensus(0x207f_ffff),
            nonce: 0,
        },
        txdata: (0..transactions)
            .map(|i| {
                let mut tx = segwit_transaction(1);
                tx.input[0].previous_output.vout = i;
                tx
            })
            .collect(),
    }
}

/// A segregated-witness transaction spending `inputs` numbered outputs, each input with one
/// witness item, paying one output: a well-formed `tx` in BIP 144's encoding (marker 0, flag
/// 1), which a header-only node reads and sets aside.
fn segwit_transaction(inputs: u32) -> bitcoin::Transaction {
    use bitcoin::{absolute, transaction, Amount, OutPoint, ScriptBuf, Sequence, TxIn, TxOut};
    use bitcoin::{Txid, Witness};
    let input = |i: u32| TxIn {
        previous_output: OutPoint {
            txid: Txid::from_byte_array([7; 32]),
            vout: i,
        },
        script_sig: ScriptBuf::new(),
        sequence: Sequence::MAX,
        witness: Witness::from_slice(&[vec![i as u8; 72]]),
    };
    bitcoin::Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: (0..inputs).map(input).collect(),
        output: vec![TxOut {
            value: Amount::from_sat(50_000),
            script_pubkey: ScriptBuf::from_bytes(
                vec![0x00, 0x14].into_iter().chain([9; 20]).collect(),
            ),
        }],
    }
}
