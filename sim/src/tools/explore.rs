//! `sim explore`: runs the generated scenario of every seed of a range
//! ([`crate::tools::generator::generate`]) on worker threads and collects the seeds that fail.
//!
//! * **Seeds.** `A..B` (B excluded) or `A..=B` (B included), parsed by [`SeedRange`].
//! * **Partitions.** `--partition K/N` keeps the i-th seed of the range (0-based) when
//!   `i mod N == K - 1`, the way `cargo nextest run --partition count:K/N` splits tests
//!   ([`Partition`], [`Sweep`]): N jobs with K = 1..=N run every seed exactly once.
//! * **Determinism.** A seed's verdict depends only on the seed: its scenario is generated,
//!   written as JSON, parsed back and run inside the worker thread that took it (turmoil keeps
//!   its state in thread-locals; nothing `Rc` crosses threads). Failures are reported sorted
//!   by seed, so the report does not depend on `--jobs` either (wall time and rates aside).
//! * **Failures.** A seed fails when [`RunResult::failures`] is non-empty, when
//!   [`run_scenario`] returns an error, when the run panics, or when the generated scenario
//!   does not survive its own JSON round trip (then its file would not reproduce it). Each
//!   failing seed's scenario is written to `DIR/explore-<seed>.json`; `sim run` on that file
//!   reproduces the run byte for byte (the file carries the seed).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::num::NonZeroUsize;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use node::deliberate_bugs::Bug;

use crate::harness::runner::{run_scenario, RunResult};
use crate::scenario::Scenario;
use crate::tools::reach::{Reachability, Reached};

/// Stack of each worker thread: the main thread's usual 8 MiB, since a simulation run on the
/// main thread (`sim run`) gets that much.
const WORKER_STACK_BYTES: usize = 8 << 20;

/// Without a terminal (CI), one plain progress line per this many finished seeds.
const PLAIN_PROGRESS_EVERY: u64 = 100;

/// A bad `--seeds` or `--partition` value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArgError {
    /// Not of the form `A..B` or `A..=B`.
    #[error(
        "`{0}` is not a seed range: expected A..B (B excluded) or A..=B (B included), e.g. 0..1000"
    )]
    RangeSyntax(String),
    /// A bound is not a `u64`.
    #[error("seed range `{text}`: `{bound}` is not a whole number from 0 to {max}", max = u64::MAX)]
    RangeBound {
        /// The whole value.
        text: String,
        /// The offending bound.
        bound: String,
    },
    /// The range holds no seed.
    #[error("seed range `{0}` holds no seed: A..B needs B above A, A..=B needs B at least A")]
    EmptyRange(String),
    /// The range holds 2^64 seeds (`0..=18446744073709551615`), more than can be counted.
    #[error("seed range `{0}` holds 2^64 seeds; take a smaller one")]
    RangeTooLarge(String),
    /// Not of the form `K/N`.
    #[error("`{0}` is not a partition: expected K/N with whole numbers 1 <= K <= N, e.g. 1/8")]
    PartitionSyntax(String),
    /// `K` is 0 or above `N`.
    #[error("partition `{0}`: K must be at least 1 and at most N (K/N, e.g. 1/8 to 8/8)")]
    PartitionBounds(String),
}

/// A non-empty range of seeds, as `--seeds` takes it: `A..B` (B excluded) or `A..=B`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedRange {
    /// The first seed.
    pub first: u64,
    /// How many seeds (at least 1); the last one is `first + len - 1`.
    pub len: u64,
}

impl FromStr for SeedRange {
    type Err = ArgError;

    /// Parses `A..B` or `A..=B`.
    ///
    /// # Errors
    /// [`ArgError`] naming the value: bad syntax, a bound that is not a `u64`, an empty range,
    /// or one of 2^64 seeds.
    fn from_str(text: &str) -> Result<SeedRange, ArgError> {
        let (start, end, inclusive) = match text.split_once("..") {
            Some((start, end)) => match end.strip_prefix('=') {
                Some(end) => (start, end, true),
                None => (start, end, false),
            },
            None => return Err(ArgError::RangeSyntax(text.to_string())),
        };
        if start.is_empty() || end.is_empty() {
            return Err(ArgError::RangeSyntax(text.to_string()));
        }
        let bound = |bound: &str| {
            bound.parse::<u64>().map_err(|_| ArgError::RangeBound {
                text: text.to_string(),
                bound: bound.to_string(),
            })
        };
        let (first, end) = (bound(start)?, bound(end)?);
        let len = if inclusive {
            if end < first {
                return Err(ArgError::EmptyRange(text.to_string()));
            }
            (end - first)
                .checked_add(1)
                .ok_or_else(|| ArgError::RangeTooLarge(text.to_string()))?
        } else {
            if end <= first {
                return Err(ArgError::EmptyRange(text.to_string()));
            }
            end - first
        };
        Ok(SeedRange { first, len })
    }
}

impl fmt::Display for SeedRange {
    /// `A..B` (B excluded), or `A..=B` when B would not fit a `u64`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let last = self.first + (self.len - 1);
        match last.checked_add(1) {
            Some(end) => write!(f, "{}..{end}", self.first),
            None => write!(f, "{}..={last}", self.first),
        }
    }
}

/// Partition `index` of `count` (`--partition K/N`, both from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// K: which partition, 1 to `count`.
    pub index: u64,
    /// N: how many partitions, at least 1.
    pub count: u64,
}

impl Partition {
    /// The whole range as one partition (`1/1`).
    pub const WHOLE: Partition = Partition { index: 1, count: 1 };

    /// Whether the seed at `position` in the range (0-based) belongs to this partition:
    /// `position mod N == K - 1`.
    pub fn holds(&self, position: u64) -> bool {
        position % self.count == self.index - 1
    }
}

impl FromStr for Partition {
    type Err = ArgError;

    /// Parses `K/N`.
    ///
    /// # Errors
    /// [`ArgError::PartitionSyntax`] if it is not two whole numbers around a `/`,
    /// [`ArgError::PartitionBounds`] unless `1 <= K <= N`.
    fn from_str(text: &str) -> Result<Partition, ArgError> {
        let syntax = || ArgError::PartitionSyntax(text.to_string());
        let (index, count) = text.split_once('/').ok_or_else(syntax)?;
        let index: u64 = index.trim().parse().map_err(|_| syntax())?;
        let count: u64 = count.trim().parse().map_err(|_| syntax())?;
        if index == 0 || index > count {
            return Err(ArgError::PartitionBounds(text.to_string()));
        }
        Ok(Partition { index, count })
    }
}

impl fmt::Display for Partition {
    /// `K/N`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The seeds one `sim explore` invocation runs: a range, cut down to one partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sweep {
    /// The whole range.
    pub range: SeedRange,
    /// The share of it run here.
    pub partition: Partition,
}

impl Sweep {
    /// How many seeds this partition holds (0 when the range is shorter than K).
    pub fn len(&self) -> u64 {
        let skip = self.partition.index - 1;
        if self.range.len <= skip {
            0
        } else {
            (self.range.len - skip - 1) / self.partition.count + 1
        }
    }

    /// True when this partition holds no seed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`-th seed of this partition (0-based; `i < self.len()`): range position
    /// `K - 1 + i * N`.
    pub fn seed(&self, i: u64) -> u64 {
        self.range.first + (self.partition.index - 1) + i * self.partition.count
    }

    /// Every seed of this partition, in increasing order.
    pub fn seeds(&self) -> impl Iterator<Item = u64> + '_ {
        (0..self.len()).map(|i| self.seed(i))
    }
}

impl fmt::Display for Sweep {
    /// `seeds A..B` plus `, partition K/N` when partitioned.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "seeds {}", self.range)?;
        if self.partition != Partition::WHOLE {
            write!(f, ", partition {}", self.partition)?;
        }
        Ok(())
    }
}

/// One failing seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedFailure {
    /// The seed.
    pub seed: u64,
    /// What it is grouped under in the summary: the name of the earliest violated invariant
    /// ([`crate::harness::invariants::InvariantReport::name`]) when a run reports one, otherwise the
    /// first failure's text up to its first `:`.
    pub group: String,
    /// Every failure, in the order the run reported them (at least one).
    pub messages: Vec<String>,
    /// The generated scenario as pretty JSON (what `DIR/explore-<seed>.json` holds); `None`
    /// only if it could not be serialized.
    pub scenario_json: Option<String>,
    /// The deliberate node bug that was active in the run ([`node::deliberate_bugs`]).
    pub bug: Option<Bug>,
}

impl SeedFailure {
    /// A failure of `seed` in `group` (what the report groups it under), its messages and the
    /// scenario's JSON (when it was generated).
    pub fn new(
        seed: u64,
        group: String,
        messages: Vec<String>,
        scenario_json: Option<String>,
    ) -> SeedFailure {
        assert!(
            !messages.is_empty(),
            "a failing seed has at least one message"
        );
        SeedFailure {
            seed,
            group,
            messages,
            scenario_json,
            bug: crate::harness::bug::active(),
        }
    }

    /// The first failure's text.
    pub fn first_message(&self) -> &str {
        self.messages.first().map_or("", String::as_str)
    }

    /// Where its scenario goes under `out_dir`: `out_dir/explore-<seed>.json`.
    pub fn scenario_path(&self, out_dir: &Path) -> PathBuf {
        out_dir.join(format!("explore-{}.json", self.seed))
    }

    /// The command that reproduces it: `sim run` on its scenario file, or, if there is no
    /// file, `sim explore` on this seed alone.
    /// A run with a deliberate bug adds the feature and `--bug NAME`.
    pub fn reproduce(&self, out_dir: &Path) -> String {
        let (features, bug) = match self.bug {
            Some(bug) => (" --features deliberate-bugs", format!(" --bug {bug}")),
            None => ("", String::new()),
        };
        match self.scenario_json {
            Some(_) => format!(
                "cargo run --release -p sim{features} -- run {}{bug}",
                self.scenario_path(out_dir).display()
            ),
            None => format!(
                "cargo run --release -p sim{features} -- explore --seeds {0}..={0}{bug}",
                self.seed
            ),
        }
    }

    /// Writes its scenario to [`SeedFailure::scenario_path`] (nothing without one).
    ///
    /// # Errors
    /// [`ExploreError::Io`] naming the file.
    pub fn write_scenario(&self, out_dir: &Path) -> Result<(), ExploreError> {
        let Some(json) = &self.scenario_json else {
            return Ok(());
        };
        let path = self.scenario_path(out_dir);
        std::fs::write(&path, json).map_err(|source| ExploreError::Io {
            path: path.display().to_string(),
            source,
        })
    }
}

/// The name of the earliest violated invariant of a run (ties: the first in the report's
/// order), if any.
pub fn first_violated_invariant(result: &RunResult) -> Option<&'static str> {
    result
        .invariants
        .iter()
        .filter_map(|report| report.violation.as_ref().map(|v| (v.at_ms, report.name)))
        .min_by_key(|(at_ms, _)| *at_ms)
        .map(|(_, name)| name)
}

/// Generates, runs and judges the scenario of `seed` (see the module docs for what fails).
/// `None`: it passed. Panics of the run are caught and reported as failures.
pub fn run_seed(seed: u64) -> Option<SeedFailure> {
    run_seed_reaching(seed).0
}

/// [`run_seed`], with the behaviours the run reached ([`crate::tools::reach`]; empty when the
/// scenario could not be generated or the run did not finish).
pub fn run_seed_reaching(seed: u64) -> (Option<SeedFailure>, BTreeSet<Reached>) {
    let name = format!("explore-{seed}");
    let scenario = crate::tools::generator::generate(seed);
    let json = match serde_json::to_string_pretty(&scenario) {
        Ok(json) => json + "\n",
        Err(error) => {
            let failure = SeedFailure::new(
                seed,
                GENERATOR.to_string(),
                vec![format!(
                    "generator: the scenario does not serialize: {error}"
                )],
                None,
            );
            return (Some(failure), BTreeSet::new());
        }
    };
    let parsed = match Scenario::parse(&format!("{name}.json"), &json) {
        Ok(parsed) if parsed == scenario => parsed,
        Ok(_) => {
            let message = "generator: the scenario reads back from its JSON differently, so its file would not reproduce it";
            let failure = SeedFailure::new(
                seed,
                GENERATOR.to_string(),
                vec![message.to_string()],
                Some(json),
            );
            return (Some(failure), BTreeSet::new());
        }
        Err(error) => {
            let failure = SeedFailure::new(
                seed,
                GENERATOR.to_string(),
                vec![format!("generator: invalid scenario: {error}")],
                Some(json),
            );
            return (Some(failure), BTreeSet::new());
        }
    };
    let failure =
        match std::panic::catch_unwind(AssertUnwindSafe(|| run_scenario(&parsed, &name, None))) {
            Ok(Ok(result)) => {
                let reached = crate::tools::reach::reached(&parsed, &result);
                if result.failures.is_empty() {
                    return (None, reached);
                }
                let group = match first_violated_invariant(&result) {
                    Some(name) => name.to_string(),
                    None => result.failures[0].group(),
                };
                let messages = result.failures.iter().map(ToString::to_string).collect();
                return (
                    Some(SeedFailure::new(seed, group, messages, Some(json))),
                    reached,
                );
            }
            Ok(Err(error)) => SeedFailure::new(
                seed,
                "harness error".to_string(),
                vec![format!("harness error: {error}")],
                Some(json),
            ),
            Err(payload) => {
                let what = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a non-text panic payload".to_string());
                SeedFailure::new(
                    seed,
                    "panic".to_string(),
                    vec![format!("panic: {what}")],
                    Some(json),
                )
            }
        };
    (Some(failure), BTreeSet::new())
}

/// The group of a seed whose scenario the generator could not produce faithfully.
const GENERATOR: &str = "generator";

/// Errors of the explore driver itself (a failing seed is not one).
#[derive(Debug, thiserror::Error)]
pub enum ExploreError {
    /// A deliberate bug was asked for in a build without them.
    #[error(transparent)]
    Bug(node::deliberate_bugs::NotCompiled),
    /// A file or folder could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A worker thread could not be started.
    #[error("could not start worker thread {index}: {source}")]
    Thread {
        /// Which worker (0-based).
        index: usize,
        /// The error from the system.
        source: std::io::Error,
    },
}

/// What a sweep found, independent of the number of workers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepResult {
    /// Seeds covered by the report: all of the partition's, or, after a stop at the M-th
    /// failure, those up to and including the M-th failing seed.
    pub seeds_run: u64,
    /// The failing seeds among them, sorted by seed.
    pub failures: Vec<SeedFailure>,
    /// True when `stop_after` cut the sweep short.
    pub stopped_early: bool,
    /// Seeds actually run, including those past the stop that finished on other workers
    /// (they are left out of the report so that it does not depend on the worker count).
    pub completed: u64,
}

/// Runs `run` on every seed of `sweep` on `jobs` worker threads, handing seeds out in
/// increasing order, and calls `on_done` on the calling thread after each (with the seed and
/// its failure, if any; in completion order).
///
/// With `stop_after = Some(M)`, no new seed starts once M failures are in; the result then
/// covers exactly the seeds up to the M-th failing one, which are the same for every `jobs`.
///
/// # Errors
/// The first error of `on_done` (no new seed starts after it), or [`ExploreError::Thread`].
pub fn sweep_with<F, D>(
    sweep: &Sweep,
    jobs: NonZeroUsize,
    stop_after: Option<NonZeroUsize>,
    run: F,
    mut on_done: D,
) -> Result<SweepResult, ExploreError>
where
    F: Fn(u64) -> Option<SeedFailure> + Sync,
    D: FnMut(u64, Option<&SeedFailure>) -> Result<(), ExploreError>,
{
    let total = sweep.len();
    let next = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let workers = usize::try_from(total).map_or(jobs.get(), |total| jobs.get().min(total));
    let (tx, rx) = mpsc::channel::<(u64, Option<SeedFailure>)>();
    let mut failures: Vec<(u64, SeedFailure)> = Vec::new();
    let mut completed = 0u64;
    let mut error = None;
    std::thread::scope(|scope| {
        for index in 0..workers {
            let tx = tx.clone();
            let (next, stop, run) = (&next, &stop, &run);
            let worker = move || {
                while !stop.load(Ordering::SeqCst) {
                    let position = next.fetch_add(1, Ordering::SeqCst);
                    if position >= total {
                        break;
                    }
                    if tx.send((position, run(sweep.seed(position)))).is_err() {
                        break;
                    }
                }
            };
            let spawned = std::thread::Builder::new()
                .name(format!("explore-{index}"))
                .stack_size(WORKER_STACK_BYTES)
                .spawn_scoped(scope, worker);
            if let Err(source) = spawned {
                stop.store(true, Ordering::SeqCst);
                error = Some(ExploreError::Thread { index, source });
                break;
            }
        }
        drop(tx);
        // Ends when every worker has finished and dropped its sender.
        for (position, failure) in rx {
            completed += 1;
            if error.is_none() {
                if let Err(e) = on_done(sweep.seed(position), failure.as_ref()) {
                    error = Some(e);
                    stop.store(true, Ordering::SeqCst);
                }
            }
            if let Some(failure) = failure {
                failures.push((position, failure));
                if stop_after.is_some_and(|m| failures.len() >= m.get()) {
                    stop.store(true, Ordering::SeqCst);
                }
            }
        }
    });
    if let Some(error) = error {
        return Err(error);
    }
    failures.sort_by_key(|(position, _)| *position);
    let mut seeds_run = completed;
    let mut stopped_early = false;
    if let Some(m) = stop_after {
        if failures.len() >= m.get() {
            failures.truncate(m.get());
            // Seeds are handed out in order, so every position below the M-th failure's ran.
            seeds_run = failures
                .last()
                .map_or(completed, |(position, _)| position + 1);
            stopped_early = seeds_run < total;
        }
    }
    Ok(SweepResult {
        seeds_run,
        failures: failures.into_iter().map(|(_, f)| f).collect(),
        stopped_early,
        completed,
    })
}

/// What `sim explore` was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExploreOptions {
    /// The seeds.
    pub sweep: Sweep,
    /// Worker threads (one simulation each at a time).
    pub jobs: NonZeroUsize,
    /// Where failing seeds' scenarios are written (created if missing).
    pub out_dir: PathBuf,
    /// Stop after this many failures (see [`sweep_with`]).
    pub stop_after_failures: Option<NonZeroUsize>,
    /// The deliberate node bug every run has active ([`node::deliberate_bugs`]; needs the
    /// `deliberate-bugs` feature).
    pub bug: Option<Bug>,
}

/// The result of `sim explore`.
#[derive(Debug, Clone, PartialEq)]
pub struct ExploreReport {
    /// What was asked.
    pub options: ExploreOptions,
    /// What was found.
    pub result: SweepResult,
    /// How many of the seeds the report covers reached each named behaviour
    /// ([`crate::tools::reach`]).
    pub reachability: Reachability,
    /// Real time the sweep took.
    pub wall: Duration,
}

impl ExploreReport {
    /// Seeds run per second of real time (all completed seeds).
    pub fn seeds_per_s(&self) -> f64 {
        self.result.completed as f64 / self.wall.as_secs_f64().max(1e-9)
    }

    /// Failures per group ([`SeedFailure::group`]), most frequent first, ties by name.
    pub fn groups(&self) -> Vec<(String, usize)> {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for failure in &self.result.failures {
            *counts.entry(failure.group.as_str()).or_default() += 1;
        }
        let mut groups: Vec<(String, usize)> = counts
            .into_iter()
            .map(|(g, n)| (g.to_string(), n))
            .collect();
        groups.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        groups
    }

    /// The printed report: each failure (seed, first message, reproducing command), then the
    /// summary (seeds run, failures, wall time, rate) and the failures grouped by check.
    pub fn render(&self) -> String {
        let out_dir = &self.options.out_dir;
        let mut text = String::new();
        for failure in &self.result.failures {
            text.push_str(&format!(
                "FAIL seed {}: {}\n",
                failure.seed,
                failure.first_message()
            ));
            text.push_str(&format!("  reproduce: {}\n", failure.reproduce(out_dir)));
        }
        let result = &self.result;
        text.push_str(&format!(
            "explore {}: {} seeds run, {} failed, {:.1} s wall, {:.1} seeds/s\n",
            self.options.sweep,
            result.seeds_run,
            result.failures.len(),
            self.wall.as_secs_f64(),
            self.seeds_per_s()
        ));
        if result.stopped_early {
            text.push_str(&format!(
                "stopped after {} failures (--stop-after-failures); {} of {} seeds not covered\n",
                result.failures.len(),
                self.options.sweep.len() - result.seeds_run,
                self.options.sweep.len()
            ));
        }
        if !result.failures.is_empty() {
            text.push_str("failures by check:\n");
            for (group, count) in self.groups() {
                text.push_str(&format!("  {count:>6}  {group}\n"));
            }
            text.push_str(&format!(
                "scenarios of the failing seeds are in {}\n",
                out_dir.display()
            ));
        }
        text.push_str(&self.reachability.render());
        text
    }
}

/// Progress on stderr: an indicatif bar on a terminal, else a plain line every
/// [`PLAIN_PROGRESS_EVERY`] seeds.
struct Progress {
    bar: ProgressBar,
    total: u64,
    done: u64,
    failed: u64,
    /// Without a terminal, the next plain line is due when `done` reaches this.
    next_plain_line: u64,
    started: Instant,
}

impl Progress {
    fn new(total: u64) -> Progress {
        let bar = ProgressBar::new(total);
        if let Ok(style) = ProgressStyle::with_template(
            "{elapsed_precise} {wide_bar} {pos}/{len} seeds, {per_sec:1}, {msg}",
        ) {
            bar.set_style(style);
        }
        bar.set_message("0 failed");
        Progress {
            bar,
            total,
            done: 0,
            failed: 0,
            next_plain_line: PLAIN_PROGRESS_EVERY,
            started: Instant::now(),
        }
    }

    fn seed_done(&mut self, seed: u64, failure: Option<&SeedFailure>) {
        self.done += 1;
        if let Some(failure) = failure {
            self.failed += 1;
            self.bar.set_message(format!("{} failed", self.failed));
            self.line(format!("seed {seed} failed: {}", failure.first_message()));
        }
        self.bar.inc(1);
        if self.bar.is_hidden() && (self.done >= self.next_plain_line || self.done == self.total) {
            self.next_plain_line = self.done + PLAIN_PROGRESS_EVERY;
            let rate = self.done as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
            eprintln!(
                "explore: {}/{} seeds, {rate:.1} seeds/s, {} failed",
                self.done, self.total, self.failed
            );
        }
    }

    fn line(&self, text: String) {
        if self.bar.is_hidden() {
            eprintln!("{text}");
        } else {
            self.bar.println(text);
        }
    }
}

/// Runs `sim explore`: creates the output folder, sweeps the seeds with progress on stderr,
/// and writes each failing seed's scenario (as soon as it fails; with `stop_after_failures`,
/// at the end, for the reported failures only).
///
/// # Errors
/// [`ExploreError::Io`] if the folder or a scenario file cannot be written (the sweep stops),
/// [`ExploreError::Thread`] if a worker cannot start.
pub fn explore(options: &ExploreOptions) -> Result<ExploreReport, ExploreError> {
    let out_dir = &options.out_dir;
    std::fs::create_dir_all(out_dir).map_err(|source| ExploreError::Io {
        path: out_dir.display().to_string(),
        source,
    })?;
    let started = Instant::now();
    let mut progress = Progress::new(options.sweep.len());
    let write_at_once = options.stop_after_failures.is_none();
    if let Some(bug) = options.bug {
        crate::harness::bug::set_active(Some(bug)).map_err(ExploreError::Bug)?;
    }
    // Each worker thread selects the bug for itself: the choice is per thread. What each seed
    // reached is kept by seed and counted once the sweep knows which seeds its report covers.
    let reached_by_seed: Mutex<BTreeMap<u64, BTreeSet<Reached>>> = Mutex::new(BTreeMap::new());
    let run = |seed| {
        let _ = crate::harness::bug::set_active(options.bug);
        let (failure, reached) = run_seed_reaching(seed);
        if let Ok(mut map) = reached_by_seed.lock() {
            map.insert(seed, reached);
        }
        failure
    };
    let result = sweep_with(
        &options.sweep,
        options.jobs,
        options.stop_after_failures,
        run,
        |seed, failure| {
            progress.seed_done(seed, failure);
            match failure {
                Some(failure) if write_at_once => failure.write_scenario(out_dir),
                _ => Ok(()),
            }
        },
    );
    progress.bar.finish_and_clear();
    let result = result?;
    if !write_at_once {
        for failure in &result.failures {
            failure.write_scenario(out_dir)?;
        }
    }
    // After a stop at the M-th failure the report covers the seeds up to that one (the same
    // for any number of workers); the reachability counts the same seeds.
    let last_covered = match result.failures.last() {
        Some(failure) if result.stopped_early => failure.seed,
        _ => u64::MAX,
    };
    let mut reachability = Reachability::default();
    let reached_by_seed = reached_by_seed
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    for (_, reached) in reached_by_seed.range(..=last_covered) {
        reachability.add(reached);
    }
    Ok(ExploreReport {
        options: options.clone(),
        result,
        reachability,
        wall: started.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(text: &str) -> Result<SeedRange, ArgError> {
        text.parse()
    }

    #[test]
    fn seed_ranges_parse_half_open_and_inclusive_and_reject_bad_syntax() {
        assert_eq!(
            range("0..100000"),
            Ok(SeedRange {
                first: 0,
                len: 100_000
            })
        );
        assert_eq!(range("5..=5"), Ok(SeedRange { first: 5, len: 1 }));
        assert_eq!(
            range("7..10").map(|r| r.to_string()),
            Ok("7..10".to_string())
        );
        assert_eq!(
            range("7..=9").map(|r| r.to_string()),
            Ok("7..10".to_string())
        );
        let max = u64::MAX;
        assert_eq!(
            range(&format!("{max}..={max}")).map(|r| r.to_string()),
            Ok(format!("{max}..={max}"))
        );
        assert_eq!(
            range(&format!("0..={max}")),
            Err(ArgError::RangeTooLarge(format!("0..={max}")))
        );
        for bad in ["", "5", "..5", "5..", "5..=", "1-5", "1...5"] {
            assert!(
                matches!(
                    range(bad),
                    Err(ArgError::RangeSyntax(_) | ArgError::RangeBound { .. })
                ),
                "{bad}: {:?}",
                range(bad)
            );
        }
        assert_eq!(
            range("a..5"),
            Err(ArgError::RangeBound {
                text: "a..5".into(),
                bound: "a".into()
            })
        );
        assert_eq!(
            range("-1..5"),
            Err(ArgError::RangeBound {
                text: "-1..5".into(),
                bound: "-1".into()
            })
        );
        assert_eq!(range("5..5"), Err(ArgError::EmptyRange("5..5".into())));
        assert_eq!(range("5..=4"), Err(ArgError::EmptyRange("5..=4".into())));
    }

    #[test]
    fn partitions_parse_k_of_n_and_reject_k_outside_1_to_n() {
        assert_eq!("3/8".parse(), Ok(Partition { index: 3, count: 8 }));
        assert_eq!("1/1".parse(), Ok(Partition::WHOLE));
        for bad in ["0/8", "9/8", "1/0", "0/0"] {
            assert_eq!(
                bad.parse::<Partition>(),
                Err(ArgError::PartitionBounds(bad.into())),
                "{bad}"
            );
        }
        for bad in ["3", "a/8", "3/b", "3/8/1", "-1/8", ""] {
            assert_eq!(
                bad.parse::<Partition>(),
                Err(ArgError::PartitionSyntax(bad.into())),
                "{bad}"
            );
        }
    }

    fn sweep(range_text: &str, partition: &str) -> Sweep {
        Sweep {
            range: range_text.parse().expect("range"),
            partition: partition.parse().expect("partition"),
        }
    }

    #[test]
    fn partitions_split_the_range_like_nextest_count_partitions() {
        // Position i (0-based) goes to partition (i mod N) + 1.
        assert_eq!(
            sweep("10..20", "1/3").seeds().collect::<Vec<_>>(),
            [10, 13, 16, 19]
        );
        assert_eq!(
            sweep("10..20", "2/3").seeds().collect::<Vec<_>>(),
            [11, 14, 17]
        );
        assert_eq!(
            sweep("10..20", "3/3").seeds().collect::<Vec<_>>(),
            [12, 15, 18]
        );
        assert_eq!(
            sweep("10..=20", "1/1").seeds().collect::<Vec<_>>(),
            (10..=20).collect::<Vec<_>>()
        );
        // A partition past the range's end is empty.
        assert!(sweep("0..3", "5/8").is_empty());
        assert_eq!(sweep("0..3", "3/8").seeds().collect::<Vec<_>>(), [2]);
        // Every seed lands in exactly one partition, for many shapes.
        for (len, count) in [(1u64, 1u64), (7, 3), (100, 8), (101, 8), (8, 8), (5, 9)] {
            let mut all: Vec<u64> = Vec::new();
            for index in 1..=count {
                let s = Sweep {
                    range: SeedRange { first: 1000, len },
                    partition: Partition { index, count },
                };
                let seeds: Vec<u64> = s.seeds().collect();
                assert_eq!(seeds.len() as u64, s.len());
                assert!(
                    seeds.iter().all(|seed| s.partition.holds(seed - 1000)),
                    "{len} {index}/{count}"
                );
                all.extend(seeds);
            }
            all.sort_unstable();
            assert_eq!(
                all,
                (1000..1000 + len).collect::<Vec<_>>(),
                "{len} seeds in {count} partitions"
            );
        }
        // The last seed of the largest range still fits.
        let top = Sweep {
            range: format!("{}..={}", u64::MAX - 9, u64::MAX)
                .parse()
                .expect("range"),
            partition: "2/2".parse().expect("p"),
        };
        assert_eq!(top.seeds().last(), Some(u64::MAX));
    }

    /// A stand-in for [`run_seed`]: seeds divisible by 7 fail, grouped by their residue mod 2.
    fn fake_run(seed: u64) -> Option<SeedFailure> {
        match seed % 7 {
            0 => Some(SeedFailure::new(
                seed,
                format!("check{}", seed % 2),
                vec![format!("check{}: seed {seed}", seed % 2)],
                Some(String::new()),
            )),
            _ => None,
        }
    }

    fn jobs(n: usize) -> NonZeroUsize {
        NonZeroUsize::new(n).expect("non-zero")
    }

    #[test]
    fn the_sweep_result_does_not_depend_on_the_number_of_workers() {
        let s = sweep("0..200", "1/1");
        let mut results = Vec::new();
        for n in [1, 2, 5] {
            let mut seen = Vec::new();
            let result = sweep_with(&s, jobs(n), None, fake_run, |seed, _| {
                seen.push(seed);
                Ok(())
            })
            .expect("sweep");
            seen.sort_unstable();
            assert_eq!(
                seen,
                (0..200).collect::<Vec<_>>(),
                "{n} workers: every seed once"
            );
            results.push(result);
        }
        assert_eq!(
            results[0]
                .failures
                .iter()
                .map(|f| f.seed)
                .collect::<Vec<_>>(),
            (0..200).step_by(7).collect::<Vec<_>>()
        );
        assert_eq!(results[0].failures[1].group, "check1");
        assert!(results.iter().all(|r| *r == results[0]), "{results:?}");
    }

    #[test]
    fn stopping_after_m_failures_reports_the_same_prefix_for_any_number_of_workers() {
        let s = sweep("1..1000", "1/1");
        for n in [1, 3] {
            let result = sweep_with(&s, jobs(n), NonZeroUsize::new(3), fake_run, |_, _| Ok(()))
                .expect("sweep");
            assert_eq!(
                result.failures.iter().map(|f| f.seed).collect::<Vec<_>>(),
                [7, 14, 21],
                "{n} workers"
            );
            // Seeds 1..=21 are positions 0..=20.
            assert_eq!(result.seeds_run, 21);
            assert!(result.stopped_early);
            // How many more finished before the workers saw the stop depends on timing.
            assert!(result.completed >= 21, "{}", result.completed);
        }
    }

    #[test]
    fn an_error_of_the_callback_stops_the_sweep_and_is_returned() {
        let s = sweep("0..10000", "1/1");
        let result = sweep_with(&s, jobs(2), None, fake_run, |seed, _| {
            if seed == 3 {
                Err(ExploreError::Io {
                    path: "x".into(),
                    source: std::io::Error::other("disk full"),
                })
            } else {
                Ok(())
            }
        });
        assert!(
            matches!(result, Err(ExploreError::Io { ref path, .. }) if path == "x"),
            "{result:?}"
        );
    }

    #[test]
    fn the_report_groups_failures_and_names_the_reproducing_command() {
        let s = sweep("0..30", "2/3");
        let result = sweep_with(&s, jobs(2), None, fake_run, |_, _| Ok(())).expect("sweep");
        // Partition 2/3 of 0..30: 1, 4, 7, ..., 28; failing: 7, 28.
        assert_eq!(
            result.failures.iter().map(|f| f.seed).collect::<Vec<_>>(),
            [7, 28]
        );
        let report = ExploreReport {
            options: ExploreOptions {
                sweep: s,
                jobs: jobs(2),
                out_dir: PathBuf::from("target/explore"),
                stop_after_failures: None,
                bug: None,
            },
            result,
            reachability: Reachability::default(),
            wall: Duration::from_secs(2),
        };
        assert_eq!(
            report.groups(),
            [("check0".to_string(), 1), ("check1".to_string(), 1)]
        );
        let text = report.render();
        assert!(text.contains("FAIL seed 7: check1: seed 7\n  reproduce: cargo run --release -p sim -- run target/explore/explore-7.json\n"), "{text}");
        assert!(text.contains("explore seeds 0..30, partition 2/3: 10 seeds run, 2 failed, 2.0 s wall, 5.0 seeds/s\n"), "{text}");
        assert!(text.find("seed 7:") < text.find("seed 28:"), "{text}");
    }
}
