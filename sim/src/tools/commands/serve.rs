//! `sim serve`: a chain fixture served by a fake btcd peer on real TCP.

use std::process::ExitCode;

/// `sim serve`: serves the chain `chain` (scenario JSON) as a fake btcd peer with `behaviour`
/// (a name or behaviour JSON) on real TCP at `listen`, until Ctrl-C. Exit code 0 at Ctrl-C; 1:
/// an I/O error; 2: bad arguments.
pub fn serve(listen: &str, chain: &str, behaviour: &str) -> ExitCode {
    use crate::peers::fake_peer::{self, wall_clock_s, FakePeer, FakePeerSettings};
    use crate::scenario::chain::ChainSpec;
    use crate::scenario::Behaviour;
    use node::runtime::{Network, TcpNetwork};

    let spec: ChainSpec = match serde_json::from_str(chain) {
        Ok(spec) => spec,
        Err(error) => {
            eprintln!("error: --chain: {error}");
            return ExitCode::from(2);
        }
    };
    let behaviour: Behaviour = match serde_json::from_str(&format!("\"{behaviour}\""))
        .or_else(|_| serde_json::from_str(behaviour))
    {
        Ok(behaviour) => behaviour,
        Err(error) => {
            eprintln!("error: --behaviour: {error}");
            return ExitCode::from(2);
        }
    };
    let headers = match spec.build() {
        Ok(headers) => headers,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let tip = spec.first_height() as usize + headers.len() - 1;
    let settings = FakePeerSettings {
        behaviour,
        clock_s: wall_clock_s,
        seed: wall_clock_s() as u64,
        first_height: spec.first_height(),
        ..FakePeerSettings::default()
    };
    let peer = std::rc::Rc::new(FakePeer::new("serve", spec.network(), headers, settings));
    let runtime = match super::current_thread_runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    let local = tokio::task::LocalSet::new();
    let result: std::io::Result<()> = local.block_on(&runtime, async move {
        let listener = TcpNetwork.bind(listen).await?;
        // The bound address (with `--listen HOST:0`, the port the system picked).
        let bound = listener
            .local_addr()
            .map_or_else(|_| listen.to_string(), |a| a.to_string());
        println!(
            "fake btcd peer on {bound}: {:?} chain, tip height {tip}; Ctrl-C to stop",
            spec.network()
        );
        tokio::select! {
            result = fake_peer::accept_loop(TcpNetwork, listener, peer) => result,
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
