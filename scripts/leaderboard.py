"""Rank the runs of a sweep: ``python scripts/leaderboard.py SWEEP_DIR [METRIC]``.

Writes ``leaderboard.md`` and ``leaderboard.csv`` into ``SWEEP_DIR`` and prints the Markdown.
Sweeps started with ``python train.py -m ...`` get these files automatically; use this script for
an interrupted sweep or to rank by another metric (default ``val/mae``, lower is better).
"""

from __future__ import annotations

import sys

from gatework.training.leaderboard import write_leaderboard

USAGE = "usage: python scripts/leaderboard.py SWEEP_DIR [METRIC]   (e.g. outputs/multirun/<date>)"


def main(argv: list[str]) -> int:
    """Write and print the leaderboard; returns the process exit status."""
    if len(argv) not in (1, 2) or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr)
        return 2
    try:
        md_path, csv_path = write_leaderboard(*argv)
    except (FileNotFoundError, ValueError) as err:  # no runs there, or an unknown metric
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(md_path.read_text())
    print(f"written: {md_path} and {csv_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
