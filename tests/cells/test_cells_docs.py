"""The gate math tables point at real lines: every `file:line` row quotes that line's code.

Checked in docs/gate_math.md and, once the section is merged there, in README.md.
"""

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "docs" / "gate_math.md", REPO / "README.md"]
ROW = re.compile(r"^\| .* \| `(?P<code>.+)` \| (?P<path>gatework/[\w/]+\.py):(?P<line>\d+) \|$")


def _rows(doc: Path) -> list[dict]:
    if not doc.exists():
        return []
    return [m.groupdict() for m in map(ROW.match, doc.read_text().splitlines()) if m]


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.name)
def test_gate_math_references_point_at_the_quoted_code(doc):
    rows = _rows(doc)
    if not rows:
        pytest.skip(f"no gate math table in {doc.name}")
    assert len(rows) >= 15
    for row in rows:
        lines = (REPO / row["path"]).read_text().splitlines()
        assert lines[int(row["line"]) - 1].strip() == row["code"], row
