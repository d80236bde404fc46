//! `sim check-determinism`: runs one scenario in several separate processes and compares their
//! traces line by line.
//!
//! Each run is `sim run SCENARIO [--seed S] --trace-out FILE` (a hidden flag) in a child process of
//! the current executable; FILE receives the whole trace as JSON lines
//! ([`crate::harness::trace::Recorder::json_lines`]). A trace line holds the simulated
//! milliseconds, the node incarnation, the peer's host and the rendered event, and no wall-clock
//! field, so equal lines mean equal behaviour.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use bitcoin::hashes::{sha256, Hash};

/// One run's line at the first place where the runs' traces differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DivergentLine {
    /// The run, from 1 (the order of the traces given).
    pub run: usize,
    /// The line's simulated milliseconds (its `at_ms` field), if it has a line there and the
    /// line is JSON with that field.
    pub at_ms: Option<u64>,
    /// The line, or `None` when this run's trace has already ended.
    pub text: Option<String>,
}

/// How the traces of several runs compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Comparison {
    /// Every trace is the same.
    Identical {
        /// Lines in each trace.
        lines: usize,
    },
    /// The traces differ.
    Diverges {
        /// The first line number (from 1) at which some run differs from run 1.
        line: usize,
        /// Every run's line there.
        runs: Vec<DivergentLine>,
    },
}

/// Compares traces (each the text of a JSON-lines trace) line by line and finds the first line
/// at which any of them differs from the first one; a trace that ends earlier differs at the
/// line after its last. No traces, or one, compare as identical.
pub fn compare_traces(traces: &[&str]) -> Comparison {
    let lines: Vec<Vec<&str>> = traces.iter().map(|t| t.lines().collect()).collect();
    let longest = lines.iter().map(Vec::len).max().unwrap_or(0);
    for index in 0..longest {
        let first = lines.first().and_then(|l| l.get(index));
        if lines.iter().all(|l| l.get(index) == first) {
            continue;
        }
        let runs = lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let text = l.get(index).map(|t| t.to_string());
                DivergentLine {
                    run: i + 1,
                    at_ms: text.as_deref().and_then(at_ms_of),
                    text,
                }
            })
            .collect();
        return Comparison::Diverges {
            line: index + 1,
            runs,
        };
    }
    Comparison::Identical { lines: longest }
}

/// The `at_ms` field of a JSON trace line.
fn at_ms_of(line: &str) -> Option<u64> {
    serde_json::from_str::<serde_json::Value>(line)
        .ok()?
        .get("at_ms")?
        .as_u64()
}

/// SHA-256 of a trace's bytes, in hex.
pub fn digest(trace: &str) -> String {
    sha256::Hash::hash(trace.as_bytes()).to_string()
}

/// The result of `sim check-determinism`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// How many runs were compared.
    pub runs: usize,
    /// How their traces compare.
    pub comparison: Comparison,
    /// SHA-256 of the first run's JSON-lines trace, in hex (of every run's, when identical).
    pub digest: String,
}

impl Report {
    /// The printed verdict: `deterministic: N runs, L trace lines, digest <sha256>`, or the
    /// first diverging line with each run's simulated milliseconds and text.
    pub fn render(&self) -> String {
        match &self.comparison {
            Comparison::Identical { lines } => {
                format!(
                    "deterministic: {} runs, {lines} trace lines, digest {}\n",
                    self.runs, self.digest
                )
            }
            Comparison::Diverges { line, runs } => {
                let mut text = format!(
                    "NOT deterministic: {} runs differ first at trace line {line}\n",
                    self.runs
                );
                for run in runs {
                    let at = run
                        .at_ms
                        .map_or_else(|| "-".to_string(), |ms| format!("{ms} ms"));
                    let line_text = run
                        .text
                        .as_deref()
                        .unwrap_or("<its trace ended before this line>");
                    text.push_str(&format!("  run {} (at {at}): {line_text}\n", run.run));
                }
                text
            }
        }
    }
}

/// Errors of running the child processes (not a divergence, which is a [`Report`]).
#[derive(Debug, thiserror::Error)]
pub enum DeterminismError {
    /// The temporary folder for the traces could not be made.
    #[error("temporary folder for the traces: {0}")]
    TempDir(std::io::Error),
    /// A child process could not be started.
    #[error("run {run}: could not start {exe}: {source}")]
    Spawn {
        /// The run, from 1.
        run: usize,
        /// The executable.
        exe: String,
        /// The error from the system.
        source: std::io::Error,
    },
    /// A child process failed as a harness (exit code other than 0, pass, and 1, expectations
    /// failed).
    #[error("run {run}: `sim run` exited with {status}: {stderr}")]
    Child {
        /// The run, from 1.
        run: usize,
        /// Its exit status.
        status: String,
        /// What it printed on stderr.
        stderr: String,
    },
    /// A trace file could not be read.
    #[error("run {run}: trace {path}: {source}")]
    Read {
        /// The run, from 1.
        run: usize,
        /// The trace file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Runs `scenario` (with `seed` instead of its own, if given) in `runs` child processes of
/// `exe` (the `sim` binary), at most `parallel` at a time, with the deliberate node bug `bug`
/// active in each (`--bug`, a build with the `deliberate-bugs` feature), and compares their
/// traces.
///
/// # Errors
/// [`DeterminismError`] when a child cannot be started, fails as a harness (exit code 2 or a
/// crash; a scenario whose expectations fail still has a trace), or its trace cannot be read.
pub fn check(
    exe: &Path,
    scenario: &Path,
    runs: usize,
    seed: Option<u64>,
    bug: Option<node::deliberate_bugs::Bug>,
    parallel: usize,
) -> Result<Report, DeterminismError> {
    let dir = tempfile::tempdir().map_err(DeterminismError::TempDir)?;
    let paths: Vec<PathBuf> = (1..=runs)
        .map(|run| dir.path().join(format!("run-{run}.jsonl")))
        .collect();
    let mut traces = Vec::with_capacity(runs);
    for batch in paths.chunks(parallel.max(1)) {
        let base = traces.len();
        let mut children = Vec::with_capacity(batch.len());
        for (i, path) in batch.iter().enumerate() {
            let mut command = Command::new(exe);
            command
                .arg("run")
                .arg(scenario)
                .arg("--trace-out")
                .arg(path);
            if let Some(seed) = seed {
                command.arg("--seed").arg(seed.to_string());
            }
            if let Some(bug) = bug {
                command.arg("--bug").arg(bug.name());
            }
            let child = command
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|source| DeterminismError::Spawn {
                    run: base + i + 1,
                    exe: exe.display().to_string(),
                    source,
                })?;
            children.push(child);
        }
        for (i, (child, path)) in children.into_iter().zip(batch).enumerate() {
            let run = base + i + 1;
            let output = child
                .wait_with_output()
                .map_err(|source| DeterminismError::Spawn {
                    run,
                    exe: exe.display().to_string(),
                    source,
                })?;
            if !matches!(output.status.code(), Some(0 | 1)) {
                return Err(DeterminismError::Child {
                    run,
                    status: output.status.to_string(),
                    stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
                });
            }
            let trace = std::fs::read_to_string(path).map_err(|source| DeterminismError::Read {
                run,
                path: path.display().to_string(),
                source,
            })?;
            traces.push(trace);
        }
    }
    let texts: Vec<&str> = traces.iter().map(String::as_str).collect();
    Ok(Report {
        runs,
        comparison: compare_traces(&texts),
        digest: texts.first().map_or_else(|| digest(""), |t| digest(t)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "{\"at_ms\":0,\"run\":0,\"text\":\"start\"}\n\
                     {\"at_ms\":40,\"run\":1,\"host\":\"p\",\"text\":\"send p#1 getheaders\"}\n\
                     {\"at_ms\":60,\"run\":1,\"host\":\"p\",\"text\":\"recv p#1 headers count=5\"}\n";

    #[test]
    fn identical_traces_compare_identical() {
        assert_eq!(
            compare_traces(&[A, A, A]),
            Comparison::Identical { lines: 3 }
        );
        assert_eq!(compare_traces(&[A]), Comparison::Identical { lines: 3 });
    }

    #[test]
    fn the_first_differing_line_is_reported_with_each_runs_time_and_text() {
        let b = A.replace(
            "\"at_ms\":60,\"run\":1,\"host\":\"p\",\"text\":\"recv p#1 headers count=5\"",
            "\"at_ms\":61,\"run\":1,\"host\":\"p\",\"text\":\"recv p#1 headers count=4\"",
        );
        let Comparison::Diverges { line, runs } = compare_traces(&[A, A, &b]) else {
            panic!("no divergence found")
        };
        assert_eq!(line, 3);
        assert_eq!(runs.len(), 3);
        assert_eq!(runs[0].at_ms, Some(60));
        assert_eq!(
            runs[0].text.as_deref(),
            Some("{\"at_ms\":60,\"run\":1,\"host\":\"p\",\"text\":\"recv p#1 headers count=5\"}")
        );
        assert_eq!(runs[1], runs[0].clone().with_run(2));
        assert_eq!(runs[2].run, 3);
        assert_eq!(runs[2].at_ms, Some(61));
        assert_eq!(
            runs[2].text.as_deref(),
            Some("{\"at_ms\":61,\"run\":1,\"host\":\"p\",\"text\":\"recv p#1 headers count=4\"}")
        );
        let report = Report {
            runs: 3,
            comparison: Comparison::Diverges { line, runs },
            digest: String::new(),
        };
        let text = report.render();
        assert!(
            text.starts_with("NOT deterministic: 3 runs differ first at trace line 3\n"),
            "{text}"
        );
        assert!(
            text.contains("  run 3 (at 61 ms): {\"at_ms\":61,"),
            "{text}"
        );
    }

    #[test]
    fn a_trace_that_ends_early_diverges_at_the_line_after_its_last() {
        let short: String = A.lines().take(2).map(|l| format!("{l}\n")).collect();
        let Comparison::Diverges { line, runs } = compare_traces(&[A, &short]) else {
            panic!("no divergence found")
        };
        assert_eq!(line, 3);
        assert_eq!(
            runs[1],
            DivergentLine {
                run: 2,
                at_ms: None,
                text: None
            }
        );
        let report = Report {
            runs: 2,
            comparison: Comparison::Diverges { line, runs },
            digest: String::new(),
        };
        assert!(
            report
                .render()
                .contains("  run 2 (at -): <its trace ended before this line>\n"),
            "{}",
            report.render()
        );
    }

    #[test]
    fn the_identical_verdict_names_runs_lines_and_digest() {
        let report = Report {
            runs: 2,
            comparison: compare_traces(&[A, A]),
            digest: digest(A),
        };
        assert_eq!(
            report.render(),
            format!(
                "deterministic: 2 runs, 3 trace lines, digest {}\n",
                digest(A)
            )
        );
        assert_eq!(digest("").len(), 64);
        assert_eq!(
            digest(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    impl DivergentLine {
        fn with_run(mut self, run: usize) -> DivergentLine {
            self.run = run;
            self
        }
    }
}
