//! `sim bench`'s figures: what it measures ([`BenchOptions`]), each figure beside its
//! comparison and target ([`Figure`]), the printed table, and the median of repetitions.

use std::path::PathBuf;

use serde::Serialize;

/// What `sim bench` measures and how often.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Smaller sizes and one repetition: proves the command works in under a minute.
    pub quick: bool,
    /// Repetitions of each timed figure (the median is reported); at least 1.
    pub repeats: u32,
    /// Raw 80-byte mainnet headers from genesis (`../shared/data/headers/mainnet_0-10236.bin`).
    pub mainnet_headers: PathBuf,
    /// The scenario folder (`scenarios`): the suite, and `bench/soak_24h_8_peers.json`.
    pub scenarios: PathBuf,
    /// The `node` binary for the side-by-side sync (`None`: that section is skipped, saying so).
    pub node_exe: Option<PathBuf>,
    /// The `bitcoind` binary (`None`: that section is skipped, saying so).
    pub bitcoind_exe: Option<PathBuf>,
    /// This `sim` binary, run as a child for the `sync` sizes (a fresh process per size, so
    /// its peak RSS is that size's) and for `sim suite`.
    pub sim_exe: PathBuf,
    /// Also time the README's test command (`scripts/test`), after an untimed build.
    pub with_tests: bool,
    /// Run only these sections (`import`, `bitcoind`, `sync`, `speed`, `explore`, `suite`);
    /// empty: all of them.
    pub only: Vec<String>,
}

impl BenchOptions {
    pub(super) fn runs(&self, section: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|s| s == section)
    }
}

/// One measured figure and, when it has one, what it is compared with.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    /// Which measurement (`import`, `bitcoind`, `sync`, `speed`, `explore`, `suite`).
    pub section: &'static str,
    /// What was measured.
    pub name: String,
    /// The figure (median of the repetitions).
    pub value: f64,
    /// Its unit (`headers/s`, `s`, `MiB`, `x real time` …).
    pub unit: &'static str,
    /// What it is compared with, if anything.
    pub compared_with: Option<Baseline>,
    /// The target, in words (`ratio >= 0.6`), if there is one.
    pub target: Option<String>,
    /// Whether the target is met (`None`: no target).
    pub met: Option<bool>,
}

/// The other side of a comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Baseline {
    /// What it is.
    pub name: String,
    /// Its value, in the figure's unit.
    pub value: f64,
    /// The figure divided by this value.
    pub ratio: f64,
}

/// The whole run: every figure, in order.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BenchReport {
    /// Whether this was `--quick`.
    pub quick: bool,
    /// Repetitions per timed figure.
    pub repeats: u32,
    /// The figures.
    pub figures: Vec<Figure>,
    /// Sections not measured, with why (a missing binary, a failed run).
    pub skipped: Vec<String>,
}

impl BenchReport {
    pub(super) fn add(
        &mut self,
        section: &'static str,
        name: impl Into<String>,
        value: f64,
        unit: &'static str,
    ) -> &mut Figure {
        self.figures.push(Figure {
            section,
            name: name.into(),
            value,
            unit,
            compared_with: None,
            target: None,
            met: None,
        });
        self.figures.last_mut().expect("just pushed")
    }

    /// The figures as an aligned text table.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{:<9} {:<58} {:>14} {:<11} {:<46} {:>14} {:>8}  {}\n",
            "section", "figure", "value", "unit", "compared with", "its value", "ratio", "target"
        );
        for f in &self.figures {
            let (name, value, ratio) = match &f.compared_with {
                Some(b) => (b.name.as_str(), number(b.value), format!("{:.3}", b.ratio)),
                None => ("-", String::new(), String::new()),
            };
            let target = match (&f.target, f.met) {
                (Some(t), Some(true)) => format!("{t}: met"),
                (Some(t), Some(false)) => format!("{t}: NOT met"),
                _ => String::new(),
            };
            out += &format!(
                "{:<9} {:<58} {:>14} {:<11} {:<46} {:>14} {:>8}  {}\n",
                f.section,
                f.name,
                number(f.value),
                f.unit,
                name,
                value,
                ratio,
                target
            );
        }
        for skipped in &self.skipped {
            out += &format!("skipped: {skipped}\n");
        }
        out
    }
}

impl Figure {
    pub(super) fn versus(&mut self, name: impl Into<String>, value: f64) -> &mut Figure {
        self.compared_with = Some(Baseline {
            name: name.into(),
            value,
            ratio: self.value / value.max(f64::MIN_POSITIVE),
        });
        self
    }

    pub(super) fn target(&mut self, text: impl Into<String>, met: bool) -> &mut Figure {
        self.target = Some(text.into());
        self.met = Some(met);
        self
    }

    pub(super) fn ratio(&self) -> f64 {
        self.compared_with.as_ref().map_or(f64::NAN, |b| b.ratio)
    }
}

/// A figure with sensible digits: large numbers whole, small ones with three decimals.
fn number(value: f64) -> String {
    if value.abs() >= 1000.0 {
        format!("{value:.0}")
    } else if value.abs() >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.3}")
    }
}

/// The median of `values` (the mean of the middle two for an even count); NaN if empty.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }
}
