#!/usr/bin/env python3
"""Sorts one cargo-mutants run by kill source (docs/mutation.md; run by scripts/mutants).

Usage: mutants-summary.py MUTANTS_OUT SHARD COUNT COMMIT > docs/mutation/shard-SHARD-of-COUNT.json

Reads MUTANTS_OUT/outcomes.json and, for each mutant that was caught, its log, where cargo's
`--no-fail-fast` names every failing test target ("to rerun pass `-p sim --test
explore_clean`"). A target maps to a kill source:

  suite        `-p node --lib` (the node's unit tests), `-p headersim-tests --test scenarios`
               (every scenario with its snapshot)
  exploration  `-p sim --test explore_clean` (sim explore over a fixed seed range)
  cost         `-p sim --test cost_gate` (the node's instruction count of two large syncs)
  other        anything else run (the harness's own unit tests)

Writes one JSON object: the shard, the commit whose node code was mutated, and per mutant its name, file, line, cargo-mutants' outcome
(caught, missed, unviable, timeout) and the sources that failed.
"""
import json
import re
import sys
from pathlib import Path

SOURCES = {
    "-p node --lib": "suite",
    "-p headersim-tests --test scenarios": "suite",
    "-p sim --test explore_clean": "exploration",
    "-p sim --test cost_gate": "cost",
}
OUTCOMES = {
    "CaughtMutant": "caught",
    "MissedMutant": "missed",
    "Unviable": "unviable",
    "Timeout": "timeout",
}
RERUN = re.compile(r"to rerun pass `([^`]+)`")


def failed_targets(log: Path) -> list[str]:
    """The test targets cargo reports as failed in one mutant's log."""
    try:
        text = log.read_text(errors="replace")
    except OSError as error:
        sys.exit(f"error: cannot read {log}: {error}")
    return sorted(set(RERUN.findall(text)))


def main() -> None:
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    root, shard, count = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    commit = sys.argv[4]
    path = root / "outcomes.json"
    try:
        outcomes = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        sys.exit(f"error: {path}: {error}")
    mutants = []
    for outcome in outcomes.get("outcomes", []):
        scenario = outcome.get("scenario")
        if not isinstance(scenario, dict) or "Mutant" not in scenario:
            continue
        mutant = scenario["Mutant"]
        summary = outcome.get("summary")
        if summary not in OUTCOMES:
            sys.exit(f"error: {path}: unknown outcome {summary!r} for {mutant.get('name')}")
        targets = []
        if summary == "CaughtMutant":
            targets = failed_targets(root / outcome["log_path"])
        sources = sorted({SOURCES.get(t, "other") for t in targets})
        span = mutant.get("span", {}).get("start", {})
        mutants.append(
            {
                "name": mutant.get("name"),
                "file": mutant.get("file"),
                "line": span.get("line"),
                "outcome": OUTCOMES[summary],
                "failed_targets": targets,
                "killed_by": sources,
            }
        )
    json.dump(
        {
            "shard": shard,
            "of": count,
            "sharding": "round-robin",
            "commit": commit,
            "mutants": mutants,
        },
        sys.stdout,
        indent=1,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
