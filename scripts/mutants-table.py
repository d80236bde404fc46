#!/usr/bin/env python3
"""Merges docs/mutation/shard-*.json (scripts/mutants) into the table of docs/mutation.md.

Usage: scripts/mutants-table.py [docs/mutation]

Per module (file): viable mutants (built; cargo-mutants' "unviable" ones did not), killed by
the suite, killed by exploration, killed by either, and the survivors (missed by both). A
timeout counts as killed by both sources: the hang is in the node, which both run. Prints
Markdown, then the survivors one per line.
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
    survivors = []
    sample = []
    commits = set()
    for path in shards:
        try:
            shard = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            sys.exit(f"error: {path}: {error}")
        sample.append(f"{shard['shard']}/{shard['of']}")
        commits.add(shard.get("commit", "unknown"))
        for mutant in shard["mutants"]:
            row = rows[mutant["file"]]
            row["listed"] += 1
            if mutant["outcome"] == "unviable":
                continue
            row["viable"] += 1
            killed = set(mutant["killed_by"])
            if mutant["outcome"] == "timeout":
                killed |= {"suite", "exploration"}
            row["suite"] += "suite" in killed
            row["exploration"] += "exploration" in killed
            row["either"] += bool(killed & {"suite", "exploration"})
            if not killed & {"suite", "exploration"}:
                row["survivors"] += 1
                survivors.append(f"{mutant['file']}:{mutant['line']}: {mutant['name']}")
    total = defaultdict(int)
    if len(commits) != 1:
        sys.exit(f"error: the shards were measured on different commits: {sorted(commits)}")
    print(f"Shards {', '.join(sample)} (round-robin) of commit {commits.pop()}.\n")
    print("| module | listed | viable | killed by the suite | killed by exploration | killed by either | survivors |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for file in sorted(rows):
        row = rows[file]
        for key, value in row.items():
            total[key] += value
        print(f"| `{file}` | {row['listed']} | {row['viable']} | {row['suite']} | {row['exploration']} | {row['either']} | {row['survivors']} |")
    viable = max(total["viable"], 1)
    print(
        f"| **all** | {total['listed']} | {total['viable']} | {total['suite']} ({100 * total['suite'] / viable:.0f}%) "
        f"| {total['exploration']} ({100 * total['exploration'] / viable:.0f}%) "
        f"| {total['either']} ({100 * total['either'] / viable:.0f}%) | {total['survivors']} |"
    )
    print("\nSurvivors:\n")
    for line in survivors:
        print(f"- `{line}`")


if __name__ == "__main__":
    main()
