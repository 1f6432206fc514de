"""Every ``noqa`` and ``type: ignore`` left in chassisctl/ names its rule and says why, on the same line.

ruff and mypy run over the package in ``scripts/test.sh`` and their findings
are fixed in the code; the few that stand (a deliberate blind except, a
lambda kept for readability) must carry the reason a reader needs, e.g.
``# noqa: BLE001 - best effort on the way out`` or
``# type: ignore[index] # every section declares its keys``.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "chassisctl"

NOQA = re.compile(r"#\s*noqa\b(?P<rest>.*)", re.IGNORECASE)
IGNORE = re.compile(r"#\s*type:\s*ignore\b(?P<rest>.*)")
#: ``: E731, B008 - reason`` (codes, then a separator and words).
NOQA_WITH_REASON = re.compile(r"^:\s*[A-Z]+[0-9]+(\s*,\s*[A-Z]+[0-9]+)*\s*(-|—|#)\s*\S.*$")
#: ``[code, code] # reason`` or ``[code] - reason``.
IGNORE_WITH_REASON = re.compile(r"^\[[a-z0-9-]+(\s*,\s*[a-z0-9-]+)*\]\s*(#|-|—)\s*\S.*$")


def problems(source: str, name: str) -> list[str]:
    """Suppression comments of ``source`` that lack a rule or a reason."""
    out = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.COMMENT:
            continue
        where = f"{name}:{token.start[0]}"
        match = NOQA.search(token.string)
        if match and not NOQA_WITH_REASON.match(match.group("rest").strip()):
            out.append(f"{where}: noqa without a rule and a reason: {token.string}")
        match = IGNORE.search(token.string)
        if match and not IGNORE_WITH_REASON.match(match.group("rest").strip()):
            out.append(f"{where}: type: ignore without an error code and a reason: {token.string}")
    return out


def test_every_suppression_in_the_package_says_why() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        found += problems(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE.parent)))
    assert found == []


@pytest.mark.parametrize("line, ok", [
    ("x = 1  # noqa: E731 - a one-line alias\n", True),
    ("x = 1  # noqa: BLE001, E731 — both on purpose\n", True),
    ("x = 1  # noqa\n", False),
    ("x = 1  # noqa: E731\n", False),
    ("x = 1  # type: ignore[index] # every section declares its keys\n", True),
    ("x = 1  # type: ignore[arg-type]\n", False),
    ("x = 1  # type: ignore\n", False),
    ("s = '# noqa'  # a string is not a comment\n", True),
])
def test_the_check_itself(line: str, ok: bool) -> None:
    assert (problems(line, "x.py") == []) is ok
