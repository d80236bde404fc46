//! `sim wire-fuzz`: the differential fuzzer of the wire. Seeded almost-right frames go to a
//! real Bitcoin Core `bitcoind` and to the `node` binary with `--profile core`, each on a
//! fresh connection after a completed handshake, and what each did is compared.
//!
//! | file | holds |
//! |---|---|
//! | `cases.rs` | [`generate`]`(seed, index)`: the [`WireCase`]s and their [`CaseClass`]es |
//! | `builder.rs` | the bytes of each class, from rust-bitcoin's encodings |
//! | `probe.rs` | one case against one peer: its [`Observation`] (the [`Reply`] to a following `ping`, the [`Answers`] it sent, the probe header stored, a new connection accepted) |
//! | `mod.rs` | [`run`]: one bitcoind for the whole run, a fresh node process per case, worker threads, the [`FuzzReport`] |
//!
//! A disagreement is printed with the seed, the case index and the frame's hex;
//! `sim wire-fuzz --seed S --case I` runs that one case again.

mod builder;
mod cases;
mod probe;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Instant;

pub use cases::{generate, CaseClass, WireCase};
pub use probe::{Answers, Observation, Reply, REPLY_WAIT};

use crate::real::{Bitcoind, NodeProcess, RealError};

/// How many times a node process is started for one case before the case fails (another
/// worker may take the free port found for it).
const NODE_START_TRIES: u32 = 3;

/// What to run.
#[derive(Debug, Clone)]
pub struct FuzzOptions {
    /// The seed of the run; case `i` is [`generate`]`(seed, i)`.
    pub seed: u64,
    /// The case indexes to run.
    pub cases: std::ops::Range<u64>,
    /// Worker threads (each runs one case at a time against both peers).
    pub jobs: usize,
    /// Bitcoin Core's `bitcoind`.
    pub bitcoind_exe: PathBuf,
    /// The `node` binary.
    pub node_exe: PathBuf,
}

/// One case and what each side did with it.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// The case.
    pub case: WireCase,
    /// What bitcoind did.
    pub bitcoind: Observation,
    /// What the node did.
    pub node: Observation,
}

impl CaseResult {
    /// Whether both did the same.
    pub fn agrees(&self) -> bool {
        self.bitcoind == self.node
    }
}

/// The result of a run: counts per class and every disagreement.
#[derive(Debug, Clone)]
pub struct FuzzReport {
    /// The run's seed.
    pub seed: u64,
    /// Cases run.
    pub cases: u64,
    /// Per class: cases run, cases where both agreed.
    pub per_class: BTreeMap<CaseClass, (u64, u64)>,
    /// Per bitcoind reply: how many cases got it (what the run exercised).
    pub per_reply: BTreeMap<Reply, u64>,
    /// Every case where the two differed, by index.
    pub disagreements: Vec<CaseResult>,
    /// Every case, by index.
    pub results: Vec<CaseResult>,
    /// The bitcoind that judged: its `-version` line.
    pub bitcoind_version: String,
    /// Wall-clock seconds the run took.
    pub elapsed_s: f64,
}

impl FuzzReport {
    /// Whether every case agreed.
    pub fn agreed(&self) -> bool {
        self.disagreements.is_empty()
    }

    /// One line per case: index, class, what it was, what bitcoind did, and what the node did
    /// where that differs.
    pub fn case_lines(&self) -> String {
        let mut out = String::new();
        for result in &self.results {
            let node = if result.agrees() {
                String::new()
            } else {
                format!(" | node: {}", result.node)
            };
            out.push_str(&format!(
                "case {} [{}] {}: {}{node}\n",
                result.case.index, result.case.class, result.case.what, result.bitcoind
            ));
        }
        out
    }
}

impl fmt::Display for FuzzReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "wire-fuzz seed {}: {} cases against {} and the node (--profile core) in {:.1} s",
            self.seed, self.cases, self.bitcoind_version, self.elapsed_s
        )?;
        writeln!(f, "{:<22} {:>6} {:>7}", "class", "cases", "agreed")?;
        for (class, (run, agreed)) in &self.per_class {
            writeln!(f, "{:<22} {:>6} {:>7}", class.name(), run, agreed)?;
        }
        let replies: Vec<String> = self
            .per_reply
            .iter()
            .map(|(reply, n)| format!("{reply} {n}"))
            .collect();
        writeln!(f, "bitcoind's replies: {}", replies.join(", "))?;
        for result in &self.disagreements {
            let case = &result.case;
            writeln!(
                f,
                "DISAGREE seed {} case {} [{}] {}\n  bitcoind: {}\n  node:     {}\n  pieces: {:?}\n  hex: {}\n  again: sim wire-fuzz --seed {} --case {}",
                case.seed,
                case.index,
                case.class,
                case.what,
                result.bitcoind,
                result.node,
                case.pieces.iter().map(Vec::len).collect::<Vec<_>>(),
                case.hex(),
                case.seed,
                case.index
            )?;
        }
        let agreed = self.cases - self.disagreements.len() as u64;
        write!(
            f,
            "{agreed} of {} cases agreed, {} disagreed",
            self.cases,
            self.disagreements.len()
        )
    }
}

/// What stopped a run before it could compare.
#[derive(Debug, thiserror::Error)]
pub enum FuzzError {
    /// A real process or connection failed outside the cases' own effect (bitcoind did not
    /// start, a handshake failed before any case byte was sent, ...).
    #[error("case {index}: {source}")]
    Case {
        /// The case index, or the run's first for bitcoind's start.
        index: u64,
        /// What failed.
        source: RealError,
    },
    /// The arguments make no run (no cases, no jobs, a missing executable).
    #[error("{0}")]
    Arguments(String),
}

/// Runs the cases of `options` against bitcoind and the node and compares them. `progress`
/// is called after each case with the number done so far.
///
/// # Errors
/// [`FuzzError`] if the run cannot compare (see its variants); disagreements are not errors,
/// they are in the report.
pub fn run(
    options: &FuzzOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<FuzzReport, FuzzError> {
    if options.cases.is_empty() || options.jobs == 0 {
        return Err(FuzzError::Arguments("no cases or no jobs to run".into()));
    }
    for exe in [&options.bitcoind_exe, &options.node_exe] {
        if !exe.exists() {
            return Err(FuzzError::Arguments(format!(
                "{} is missing (bitcoind: scripts/install-bitcoin-core.sh; node: cargo build --release -p node)",
                exe.display()
            )));
        }
    }
    let started = Instant::now();
    let bitcoind_version = version_line(&options.bitcoind_exe);
    let bitcoind =
        Bitcoind::start(&options.bitcoind_exe, &[]).map_err(|source| FuzzError::Case {
            index: options.cases.start,
            source,
        })?;
    let (tx, rx) = mpsc::channel::<Result<CaseResult, FuzzError>>();
    let mut results = Vec::new();
    std::thread::scope(|scope| {
        for worker in 0..options.jobs {
            let tx = tx.clone();
            let bitcoind = &bitcoind;
            scope.spawn(move || {
                let mut index = options.cases.start + worker as u64;
                while index < options.cases.end {
                    let result = run_case(options, bitcoind, generate(options.seed, index));
                    let failed = result.is_err();
                    if tx.send(result).is_err() || failed {
                        return;
                    }
                    index += options.jobs as u64;
                }
            });
        }
        drop(tx);
        let mut done = 0;
        for result in rx {
            done += 1;
            progress(done);
            results.push(result);
        }
    });
    let mut report = FuzzReport {
        seed: options.seed,
        cases: 0,
        per_class: BTreeMap::new(),
        per_reply: BTreeMap::new(),
        disagreements: Vec::new(),
        results: Vec::new(),
        bitcoind_version,
        elapsed_s: 0.0,
    };
    let mut done = Vec::new();
    for result in results {
        done.push(result?);
    }
    done.sort_by_key(|r| r.case.index);
    for result in done {
        report.cases += 1;
        let entry = report.per_class.entry(result.case.class).or_insert((0, 0));
        entry.0 += 1;
        *report.per_reply.entry(result.bitcoind.reply).or_insert(0) += 1;
        if result.agrees() {
            entry.1 += 1;
        } else {
            report.disagreements.push(result.clone());
        }
        report.results.push(result);
    }
    report.elapsed_s = started.elapsed().as_secs_f64();
    Ok(report)
}

/// One case against the shared bitcoind and a fresh node process.
fn run_case(
    options: &FuzzOptions,
    bitcoind: &Bitcoind,
    case: WireCase,
) -> Result<CaseResult, FuzzError> {
    let index = case.index;
    let failed = |source| FuzzError::Case { index, source };
    let on_bitcoind = {
        let (reply, answers) = probe::send_case(&bitcoind.p2p_addr(), &case).map_err(failed)?;
        let header_stored = match &case.probe_header {
            Some(hash) => Some(bitcoind.knows_header(hash).map_err(failed)?),
            None => None,
        };
        let reconnects = probe::reconnects(&bitcoind.p2p_addr(), index);
        Observation {
            reply,
            answers,
            header_stored,
            reconnects,
        }
    };
    let mut node = start_node(options, index).map_err(failed)?;
    let (reply, answers) = probe::send_case(node.addr(), &case).map_err(failed)?;
    let reconnects = probe::reconnects(node.addr(), index);
    node.kill();
    let header_stored = match &case.probe_header {
        Some(hash) => {
            let stored = node.stored_headers().map_err(failed)?;
            Some(stored.iter().any(|h| h.block_hash() == *hash))
        }
        None => None,
    };
    Ok(CaseResult {
        case,
        bitcoind: on_bitcoind,
        node: Observation {
            reply,
            answers,
            header_stored,
            reconnects,
        },
    })
}

fn start_node(options: &FuzzOptions, index: u64) -> Result<NodeProcess, RealError> {
    let mut tries = 0;
    loop {
        tries += 1;
        match NodeProcess::start(&options.node_exe, node::Profile::Core, index, &[]) {
            Ok(node) => return Ok(node),
            Err(error) if tries >= NODE_START_TRIES => return Err(error),
            Err(_) => {}
        }
    }
}

/// The first line of `exe -version`, e.g. `Bitcoin Core daemon version v31.99.0`.
fn version_line(exe: &std::path::Path) -> String {
    std::process::Command::new(exe)
        .arg("-version")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.lines().next().map(str::to_owned))
        .unwrap_or_else(|| exe.display().to_string())
}
