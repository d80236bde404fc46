//! `sim import-capture`: Bitcoin Core's message capture of one peer, written as a replay
//! scenario ([`crate::tools::capture`]).

use std::path::Path;
use std::process::ExitCode;

use crate::scenario::{NetworkName, ProfileName};
use crate::tools::capture::{load_capture, Replay};
use crate::tools::record::{Keying, LiveTip};

/// What `sim import-capture` was asked to do.
#[derive(Debug, Clone)]
pub struct ImportCapture<'a> {
    /// bitcoind's `-datadir`, a network's data folder, a `message_capture` folder or the
    /// peer's folder.
    pub dir: &'a Path,
    /// The captured peer's address as Core printed it (`127.0.0.1:18444`).
    pub peer: &'a str,
    /// Which side replays against the node.
    pub replay: Replay,
    /// The capture's network.
    pub network: NetworkName,
    /// The profile the node runs in the scenario.
    pub profile: ProfileName,
    /// Where to write the scenario.
    pub out: &'a Path,
    /// Host name of the replaying peer in the scenario.
    pub peer_name: &'a str,
    /// The expected final tip (height and hash), if known.
    pub tip: Option<LiveTip>,
}

/// `sim import-capture`: reads the capture, writes the scenario. The node's commands in order
/// become an expectation when bitcoind's side replays (the node stands where the captured
/// header-syncing peer stood, and must ask what it asked); when the peer's side replays, the
/// node stands where bitcoind stood and only the tip is expected. Exit code 0: written; 1:
/// the capture could not be read or the file not written.
pub fn import_capture(args: &ImportCapture<'_>) -> ExitCode {
    let capture = match load_capture(args.dir, args.peer) {
        Ok(capture) => capture,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let recording = capture.to_recording(args.network.network(), args.replay);
    let scenario = recording.to_scenario(
        args.network,
        args.profile,
        args.peer_name,
        args.tip.as_ref(),
        args.replay == Replay::Bitcoind,
        match args.replay {
            Replay::Bitcoind => Keying::Latest,
            Replay::Peer => Keying::Handshake,
        },
    );
    if let Err(error) = scenario.validate(&args.out.display().to_string()) {
        eprintln!("error: the imported scenario does not validate: {error}");
        return ExitCode::FAILURE;
    }
    let text = match serde_json::to_string_pretty(&scenario) {
        Ok(text) => text + "\n",
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(error) = std::fs::write(args.out, text) {
        eprintln!("error: {}: {error}", args.out.display());
        return ExitCode::FAILURE;
    }
    let from_node = recording.frames.iter().filter(|f| f.from_node).count();
    println!(
        "imported {} ({} ms): {from_node} messages on the node's side, {} replayed by {} ({}); wrote {}",
        capture.folder.display(),
        recording.length_ms,
        recording.frames.len() - from_node,
        args.peer_name,
        args.replay,
        args.out.display()
    );
    ExitCode::SUCCESS
}
