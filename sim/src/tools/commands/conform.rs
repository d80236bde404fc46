//! `sim conform`: scenarios against a real bitcoind.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;

use crate::tools::conform::{self, Manifest, ScenarioCheck};

/// `sim conform`: checks `scenarios` (or, with none, every scenario `manifest` marks as checked,
/// after checking that it accounts for every `core` scenario under `dir`) on `jobs` worker
/// threads, each scenario against its own bitcoind. Prints one line per scenario and every
/// difference. Exit code 0: all agree; 1: some differ; 2: a scenario or the manifest is
/// unusable, or bitcoind failed.
pub fn conform(
    scenarios: Vec<PathBuf>,
    dir: &Path,
    manifest: &Path,
    bitcoind: Option<PathBuf>,
    jobs: usize,
) -> ExitCode {
    let repo = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let bitcoind = bitcoind.unwrap_or_else(|| crate::real::core_bitcoind_path(&repo));
    let paths = if scenarios.is_empty() {
        match Manifest::load(manifest, dir) {
            Ok(manifest) => {
                println!(
                    "conform: {} core scenarios checked, {} excluded ({})",
                    manifest.checked.len(),
                    manifest.excluded.len(),
                    crate::tools::conform::compare::NOT_COMPARED
                        .iter()
                        .map(|(c, _)| *c)
                        .collect::<Vec<_>>()
                        .join(", ")
                        + " not compared"
                );
                conform::checked_paths(&manifest, dir)
            }
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::from(2);
            }
        }
    } else {
        scenarios
    };
    // Longest first (the queue pops from its end), so a long scenario does not start last
    // and leave the other jobs idle; one that does not load is taken first and fails in `check`.
    let mut order: Vec<(u64, &PathBuf)> = paths
        .iter()
        .map(|path| {
            let duration_s =
                crate::scenario::Scenario::load(path).map_or(u64::MAX, |s| s.duration_s);
            (duration_s, path)
        })
        .collect();
    order.sort();
    let queue = Mutex::new(order.into_iter().map(|(_, path)| path).collect::<Vec<_>>());
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| loop {
                let Some(path) = queue.lock().map(|mut q| q.pop()).ok().flatten() else {
                    return;
                };
                let result = conform::check(path, &bitcoind);
                match &result {
                    Ok(check) => print_check(check),
                    Err(error) => println!("ERROR {error}"),
                }
                if let Ok(mut results) = results.lock() {
                    results.push(result.map(|check| check.agrees()));
                }
            });
        }
    });
    let results = results.into_inner().unwrap_or_default();
    let agreed = results.iter().filter(|r| matches!(r, Ok(true))).count();
    let differed = results.iter().filter(|r| matches!(r, Ok(false))).count();
    let errors = results.len() - agreed - differed;
    println!("{agreed} agreed, {differed} differed, {errors} could not be checked");
    if errors > 0 {
        ExitCode::from(2)
    } else if differed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn print_check(check: &ScenarioCheck) {
    let verdict = if check.agrees() { "agree " } else { "DIFFER" };
    let mut text = format!(
        "{verdict} {} ({} simulated s in {:.1} wall s)",
        check.name, check.simulated_s, check.wall_s
    );
    for difference in &check.differences {
        text.push_str(&format!("\n  {difference}"));
    }
    println!("{text}");
}
