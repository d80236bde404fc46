#!/usr/bin/env python3
"""Merges docs/mutation/shard-*.json (scripts/mutants) into the table of docs/mutation.md.

Usage: scripts/mutants-table.py [docs/mutation] [COMMIT]

With COMMIT (a prefix), only the shards measured on that commit are tabled; without it, all
shards in the folder must share one commit.

Per module (file): viable mutants (built; cargo-mutants' "unviable" ones did not), those
classified equivalent, killed by the suite, killed by exploration, killed by the cost gate
(the node's instruction count, sim/tests/cost_gate.rs; shards measured before it existed show
0), killed by any, and the survivors (missed by all). A timeout counts as killed by the suite
and exploration: the hang is in the node, which both run. Rates are over the viable,
non-equivalent mutants.

The classes come from docs/mutation/classes.json, read by hand for every mutant exploration
missed: {"<cargo-mutants name, file:line:col: what>": {"class": C, "why": TEXT}}, C one of
  equivalent  no behaviour of the node can change (excluded from the rates)
  text        only trace or error text changes: exploration sees typed facts, never text
  tool        only an API the tools read changes, never a simulated run
  gap         a behaviour no generated world reaches or no invariant states (to close)
  unreachable a behaviour no simulated world can reach (it needs a real network's addresses)
  closed      a gap closed after the measured commit: the text names the commit, the rule and
              the seed at which exploration kills it, checked by hand (the table still counts
              the measured run)
  slow        only slower
Prints Markdown: the table, then exploration's misses and the survivors with their classes.
"""
import json
import sys
from collections import defaultdict
from pathlib import Path


def main() -> None:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/mutation")
    shards = sorted(folder.glob("shard-*.json"))
    if not shards:
        sys.exit(f"error: no shard-*.json in {folder}")
    rows = defaultdict(lambda: defaultdict(int))
    classes_path = folder / "classes.json"
    try:
        classes = json.loads(classes_path.read_text()) if classes_path.exists() else {}
    except (OSError, ValueError) as error:
        sys.exit(f"error: {classes_path}: {error}")
    misses = []
    survivors = []
    sample = []
    commits = set()
    only = sys.argv[2] if len(sys.argv) > 2 else None
    for path in shards:
        try:
            shard = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            sys.exit(f"error: {path}: {error}")
        if only is not None and not shard.get("commit", "").startswith(only):
            continue
        sample.append(f"{shard['shard']}/{shard['of']}")
        commits.add(shard.get("commit", "unknown"))
        for mutant in shard["mutants"]:
            row = rows[mutant["file"]]
            row["listed"] += 1
            if mutant["outcome"] == "unviable":
                continue
            row["viable"] += 1
            key = mutant["name"]
            known = classes.get(key, {"class": "unclassified", "why": ""})
            if known["class"] == "equivalent":
                row["equivalent"] += 1
            killed = set(mutant["killed_by"])
            if mutant["outcome"] == "timeout":
                killed |= {"suite", "exploration"}
            row["suite"] += "suite" in killed
            row["exploration"] += "exploration" in killed
            row["cost"] += "cost" in killed
            row["any"] += bool(killed & {"suite", "exploration", "cost"})
            line = f"`{key}` ({known['class']}) {known['why']}".rstrip()
            if "exploration" not in killed:
                misses.append(line)
            if not killed & {"suite", "exploration", "cost"}:
                row["survivors"] += 1
                survivors.append(line)
    total = defaultdict(int)
    if not commits:
        sys.exit(f"error: no shard in {folder} was measured on commit {only}")
    if len(commits) != 1:
        sys.exit(f"error: the shards were measured on different commits: {sorted(commits)}")
    print(f"Shards {', '.join(sample)} (round-robin) of commit {commits.pop()}.\n")
    print("| module | listed | viable | equivalent | killed by the suite | killed by exploration | killed by the cost gate | killed by any | survivors |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for file in sorted(rows):
        row = rows[file]
        for key, value in row.items():
            total[key] += value
        print(f"| `{file}` | {row['listed']} | {row['viable']} | {row['equivalent']} | {row['suite']} | {row['exploration']} | {row['cost']} | {row['any']} | {row['survivors']} |")
    viable = max(total["viable"] - total["equivalent"], 1)
    print(
        f"| **all** | {total['listed']} | {total['viable']} | {total['equivalent']} | {total['suite']} ({100 * total['suite'] / viable:.0f}%) "
        f"| {total['exploration']} ({100 * total['exploration'] / viable:.0f}%) "
        f"| {total['cost']} | {total['any']} ({100 * total['any'] / viable:.0f}%) | {total['survivors']} |"
    )
    print(f"\nRates over the {viable} viable, non-equivalent mutants.")
    print("\nMissed by exploration:\n")
    for line in misses:
        print(f"- {line}")
    print("\nSurvivors (missed by all):\n")
    for line in survivors or ["none"]:
        print(f"- {line}")


if __name__ == "__main__":
    main()
