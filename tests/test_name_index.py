"""The TAB completion name index: plain lines, round-tripped, and refused when it is not one."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chassisctl import name_index


@given(st.lists(st.text(max_size=20), max_size=30))
def test_round_trip_keeps_every_printable_name(names) -> None:
    assert name_index.loads(name_index.dumps(names)) == sorted({n for n in names if n and n.isprintable()})


def test_names_a_shell_cannot_offer_are_left_out() -> None:
    text = name_index.dumps(["CPU Temp", "bad\nname", "tab\there", "", "Fan 1", "CPU Temp"])
    assert text == "# chassisctl names 1\nCPU Temp\nFan 1\n"


@pytest.mark.parametrize("text", ['{"names": ["CPU Temp"]}', "", "CPU Temp\n", "# chassisctl names 2\nx\n"])
def test_anything_else_is_refused(text) -> None:
    with pytest.raises(ValueError):
        name_index.loads(text)


@given(st.text(max_size=200))
def test_loads_raises_only_value_error(text) -> None:
    try:
        name_index.loads(text)
    except ValueError:
        pass


def test_a_keypress_reading_it_imports_no_json() -> None:
    """The reason the index is not JSON: TAB completion stays clear of json, re and enum
    (beyond what the interpreter already loaded: an editable install's finder brings re)."""
    code = ("import sys; before = set(sys.modules); "
            "from chassisctl.cli.completion_values import complete_sensor, complete_node; "
            "complete_sensor(''); complete_node(''); "
            "print(sorted(m for m in ('json', 're', 'enum', 'typing') if m in set(sys.modules) - before))")
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "[]"
