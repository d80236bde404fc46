//! `sim record`: a live session between the node and a real peer, captured as a scenario.

use std::path::Path;
use std::process::ExitCode;

use crate::scenario::NetworkName;

/// `sim record`: relays a live session between the node (dialling `listen`) and the real peer
/// at `upstream` on `network`, and writes it to `out` as a scenario whose peer `peer_name`
/// replays the real one, when either side closes, after `duration_s`, or at Ctrl-C. With
/// `node_datadir` (which must start empty), the live node's stored tip becomes the expected
/// tip. Exit code 0: written; 1: the recording or a file failed; 2: the data folder is not
/// fresh.
pub fn record(
    listen: &str,
    upstream: &str,
    network: NetworkName,
    out: &Path,
    duration_s: Option<u64>,
    node_datadir: Option<&Path>,
    peer_name: &str,
) -> ExitCode {
    use crate::tools::record::LiveTip;
    let runtime = match super::current_thread_runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    // The replay starts the node from an empty store, so the live node must start from one too.
    if let Some(dir) = node_datadir {
        let path = dir.join("headers.sqlite");
        if path.exists() {
            let tip = node::store::Store::open(&path, network.network())
                .and_then(|store| store.tip_height());
            match tip {
                Ok(None | Some(0)) => {}
                Ok(Some(height)) => {
                    eprintln!(
                        "error: --node-datadir {} already holds headers up to height {height}; start the node on a fresh --datadir so that the replay (which starts from genesis) asks what it asked",
                        dir.display()
                    );
                    return ExitCode::from(2);
                }
                Err(error) => {
                    eprintln!("error: --node-datadir {}: {error}", path.display());
                    return ExitCode::from(2);
                }
            }
        }
    }
    let magic = node::wire::magic_for(network.network());
    let recording = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let bound = listener
            .local_addr()
            .map_or_else(|_| listen.to_string(), |a| a.to_string());
        println!("recording: waiting for the node on {bound}; relaying to {upstream}");
        let stop = async {
            let duration = async {
                match duration_s {
                    Some(s) => tokio::time::sleep(std::time::Duration::from_secs(s)).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = duration => format!("recording stopped after {} s", duration_s.unwrap_or(0)),
                _ = tokio::signal::ctrl_c() => "recording stopped by Ctrl-C".to_string(),
            }
        };
        crate::tools::record::record(listener, upstream, magic, stop).await
    });
    let recording = match recording {
        Ok(recording) => recording,
        Err(error) => {
            eprintln!("error: recording: {error}");
            return ExitCode::FAILURE;
        }
    };
    let live_tip = match node_datadir {
        None => None,
        Some(dir) => {
            let path = dir.join("headers.sqlite");
            if !path.exists() {
                eprintln!("error: --node-datadir: {} does not exist; was the node started with --datadir {}?", path.display(), dir.display());
                return ExitCode::FAILURE;
            }
            let tip =
                node::store::Store::open(&path, network.network()).and_then(|store| store.load());
            match tip {
                Ok(headers) => headers.last().map(|h| LiveTip {
                    height: u32::try_from(headers.len() - 1).unwrap_or(u32::MAX),
                    hash: h.block_hash().to_string(),
                }),
                Err(error) => {
                    eprintln!("error: the live node's store {}: {error}", path.display());
                    return ExitCode::FAILURE;
                }
            }
        }
    };
    // The live node ran with its default profile (btcd); its expectations were recorded from
    // that run.
    let scenario = recording.to_scenario(
        network,
        crate::scenario::ProfileName::Btcd,
        peer_name,
        live_tip.as_ref(),
        true,
        crate::tools::record::Keying::Latest,
    );
    let text = match serde_json::to_string_pretty(&scenario) {
        Ok(text) => text + "\n",
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(error) = std::fs::write(out, text) {
        eprintln!("error: {}: {error}", out.display());
        return ExitCode::FAILURE;
    }
    let from_node = recording.frames.iter().filter(|f| f.from_node).count();
    println!(
        "recorded {} ms ({}): {from_node} messages from the node, {} from the peer{}; wrote {}",
        recording.length_ms,
        recording.ended_by,
        recording.frames.len() - from_node,
        live_tip
            .map(|t| format!("; live tip {} at height {}", t.hash, t.height))
            .unwrap_or_default(),
        out.display()
    );
    for note in &recording.notes {
        println!("note: {note}");
    }
    ExitCode::SUCCESS
}
