"""docs/results.md from the results file: each table, ours beside the book's, val and test."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

from gatework.training.result_tables import Row
from gatework.training.results_runner import runs_of, shown_command

TITLES = {
    1: "Table 1: Géron's synthetic series (HOML 2nd ed., ch. 15), MSE",
    2: "Table 2: CTA rail ridership (HOML 3rd ed., ch. 15), MAE in riders",
    3: "Table 3: Jena temperature, 24 h ahead (Chollet, DLwP 2nd ed., ch. 10), MAE in °C",
}
DIGITS = {1: "{:.5f}", 2: "{:,.0f}", 3: "{:.2f}"}
NEEDS = {
    "cta": "not run: needs the CTA file (--cta)",
    "jena": "not run: needs the Jena file (--jena)",
}


def spread(values: Sequence[float], digits: str) -> str:
    """``mean ± sd`` (sample sd) of the finite values; the value alone when they are all the
    same (a baseline, or one run); ``-`` when there is none."""
    values = [v for v in values if v is not None and math.isfinite(v)]
    if not values:
        return "-"
    mean = digits.format(statistics.fmean(values))
    if len(set(values)) == 1:
        return mean
    return f"{mean} ± {digits.format(statistics.stdev(values))}"


def _column(runs: list[dict], key: str) -> list[float]:
    return [r["metrics"].get(key) for r in runs if r["metrics"].get(key) is not None]


def row_cells(row: Row, runs: list[dict], files: set[str] = frozenset()) -> list[str]:
    """The cells of one row: label, published, ours (val, test), naive test, seeds, epochs,
    minutes per run and the 1-minute load average the runs ended at; ``files`` are the data
    files at hand (a row without runs says whether it waits for its file or for a run)."""
    digits = DIGITS[row.table]
    published = row.published + (f" (test {row.published_test})" if row.published_test else "")
    mine = runs_of(runs, row)
    if not mine:
        missing = "not run yet" if not row.file or row.file in files else NEEDS[row.file]
        return [row.key, row.label, published or "ours", missing, *[""] * 6]
    test_key = row.metric.replace("val/", "test/", 1)
    naive_key = test_key.replace("test/", "test/naive_", 1)
    epochs = _column(mine, "fit/epochs")
    return [
        row.key,
        row.label,
        published or "ours",
        spread(_column(mine, row.metric), digits),
        spread(_column(mine, test_key), digits),
        spread(_column(mine, naive_key), digits),
        ", ".join(str(r["seed"]) for r in mine if r["seed"] is not None) or "-",
        f"{statistics.fmean(epochs):.0f}" if epochs else "-",
        f"{statistics.fmean(r['seconds'] for r in mine) / 60:.1f}",
        f"{statistics.fmean(r['load'][0] for r in mine):.1f}",
    ]


HEADER = (
    "| row | model | published | ours, val | ours, test | naive, test | seeds | epochs "
    "| min/run | load |\n|---|---|---|---|---|---|---|---|---|---|\n"
)


def table_markdown(rows: Sequence[Row], runs: list[dict], files: set[str] = frozenset()) -> str:
    """One table, then each row's command and note."""
    lines = [HEADER]
    for row in rows:
        cells = [c.replace("|", "\\|") for c in row_cells(row, runs, files)]
        lines.append("| " + " | ".join(cells) + " |\n")
    lines.append("\nCommands (seeds 42, 1, 2; `$CTA`, `$JENA`: the data files):\n\n")
    for row in rows:
        note = f" ({row.note})" if row.note else ""
        lines.append(f"- `{row.key}`: `{shown_command(row)}`{note}\n")
    return "".join(lines)


def render(
    tables: dict[int, Sequence[Row]], runs: list[dict], intro: str, files: set[str] = frozenset()
) -> str:
    """The whole page: ``intro`` (with the targets), then every table; ``files``: the data
    files at hand."""
    runs = [r for rows in tables.values() for row in rows for r in runs_of(runs, row)]
    runs = list({id(r): r for r in runs}.values())  # the runs some row reads, each once
    commits = sorted({r["commit"] + ("+" if r["dirty"] else "") for r in runs})
    parts = [intro.rstrip() + "\n"]
    if runs:
        first, last = min(r["when"] for r in runs), max(r["when"] for r in runs)
        parts.append(
            f"\nRuns: {len(runs)} between {first[:10]} and {last[:10]} (UTC), on commits "
            f"{', '.join(commits)} (as recorded when each ran, before the branch was rebased; "
            "`+`: code or configs differed from the commit).\n"
        )
    for number, rows in tables.items():
        parts.append(f"\n## {TITLES[number]}\n\n{table_markdown(rows, runs, files)}")
    return "".join(parts)


def _mean(runs: list[dict], row: Row, split: str) -> float | None:
    values = _column(runs_of(runs, row), row.metric.replace("val/", f"{split}/", 1))
    return statistics.fmean(values) if values else None


def targets_markdown(targets, tables: dict[int, Sequence[Row]], runs: list[dict]) -> str:
    """The goals, each with its best row so far, the threshold and whether it is met."""
    if not targets:
        return ""
    lines = ["## Targets\n\n| target | best row | ours (mean) | threshold | met |\n"]
    lines.append("|---|---|---|---|---|\n")
    for target in targets:
        rows = {r.key: r for r in tables[target.table]}
        digits = DIGITS[target.table]
        scored = [(m, k) for k in target.rows if (m := _mean(runs, rows[k], target.split))]
        threshold = target.below
        if target.reference:
            threshold = _mean(runs, rows[target.reference], target.split)
        if not scored or threshold is None:
            lines.append(f"| {target.text} | - | not run yet | - | - |\n")
            continue
        best, key = min(scored)
        met = "yes" if best < threshold else "no"
        lines.append(
            f"| {target.text} | `{key}` | {digits.format(best)} | {digits.format(threshold)} "
            f"| {met} |\n"
        )
    return "".join(lines)
