"""README's gate math section points at real lines: every `file:line` row quotes that line."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
ROW = re.compile(r"^\| .* \| `(?P<code>.+)` \| (?P<path>gatework/[\w/]+\.py):(?P<line>\d+) \|$")


def _rows(doc: Path) -> list[dict]:
    return [m.groupdict() for m in map(ROW.match, doc.read_text().splitlines()) if m]


def test_gate_math_references_point_at_the_quoted_code():
    rows = _rows(README)
    assert len(rows) >= 15
    for row in rows:
        lines = (REPO / row["path"]).read_text().splitlines()
        assert lines[int(row["line"]) - 1].strip() == row["code"], row
