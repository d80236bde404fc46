//! The header store survives SIGKILL at any point: a child process (this test binary run
//! again) commits 2000-header batches to a real SQLite file as fast as it can, the parent
//! kills it with SIGKILL right after it reports a commit, so the kill lands somewhere inside
//! the following writes. Afterwards the file must load, link, and hold exactly a prefix of the
//! chain that was being written: every committed batch, nothing half-written.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use bitcoin::block::Header;
use node::protocol::header_chain::ChainUpdate;
use node::store::Store;
use sim::scenario::chain::ChainSpec;

const CHILD_ENV: &str = "HEADERSIM_STORE_WRITER";
const CHILD_TEST: &str = "store_holds_exactly_the_committed_batches_after_sigkill_mid_write";
const BATCH: usize = 2000;

fn chain() -> Vec<Header> {
    ChainSpec::Regtest {
        height: 40_000,
        seed: 5,
        fork: None,
    }
    .build()
    .expect("regtest chain")
}

/// Child: writes batches forever, then rewrites the whole chain from height 1 in one
/// transaction, again and again, reporting each commit on stdout.
fn write_forever(path: &Path) -> ! {
    let headers = chain();
    let mut store = Store::open(path, bitcoin::Network::Regtest).expect("open store");
    store
        .apply(&ChainUpdate::new(0, vec![headers[0]]))
        .expect("genesis");
    let mut stdout = std::io::stdout();
    let mut commits = 0u64;
    loop {
        for start in (1..headers.len()).step_by(BATCH) {
            let end = (start + BATCH).min(headers.len());
            let update = ChainUpdate::new(start as u32, headers[start..end].to_vec());
            store.apply(&update).expect("apply");
            commits += 1;
            let _ = writeln!(stdout, "COMMIT {commits} {end}");
            let _ = stdout.flush();
        }
        let update = ChainUpdate::new(1, headers[1..].to_vec());
        store.apply(&update).expect("rewrite");
        commits += 1;
        let _ = writeln!(stdout, "COMMIT {commits} {}", headers.len());
        let _ = stdout.flush();
    }
}

#[test]
fn store_holds_exactly_the_committed_batches_after_sigkill_mid_write() {
    if let Ok(path) = std::env::var(CHILD_ENV) {
        write_forever(Path::new(&path));
    }
    let headers = chain();
    let exe = std::env::current_exe().expect("test binary path");
    for kill_after in [1u64, 3, 7, 12, 19, 21, 25] {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("headers.sqlite");
        let mut child = Command::new(&exe)
            .args(["--exact", CHILD_TEST, "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the writer");
        let stdout = child.stdout.take().expect("child stdout");
        let mut committed_rows = 0usize;
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("read child output");
            let Some(rest) = line.split("COMMIT ").nth(1) else {
                continue;
            };
            let mut fields = rest
                .split_whitespace()
                .map(|f| f.parse::<usize>().expect("number"));
            let (n, rows) = (fields.next().unwrap_or(0), fields.next().unwrap_or(0));
            committed_rows = rows;
            if n as u64 >= kill_after {
                child.kill().expect("SIGKILL the writer");
                break;
            }
        }
        let _ = child.wait();
        assert!(committed_rows > 0, "the writer never committed");

        let store = Store::open(&path, bitcoin::Network::Regtest).expect("reopen after SIGKILL");
        let loaded = store
            .load()
            .unwrap_or_else(|e| panic!("kill after {kill_after}: store does not load: {e}"));
        assert!(
            loaded.len() >= committed_rows,
            "kill after {kill_after}: {} rows, but {committed_rows} were reported committed",
            loaded.len()
        );
        assert!(
            loaded.len() == headers.len() || (loaded.len() - 1).is_multiple_of(BATCH),
            "kill after {kill_after}: {} rows is not a whole number of batches",
            loaded.len()
        );
        assert_eq!(
            loaded[..],
            headers[..loaded.len()],
            "kill after {kill_after}: stored rows differ from the chain"
        );
    }
}
