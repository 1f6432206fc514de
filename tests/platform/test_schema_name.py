"""schema.is_name is the NAME pattern, without compiling a regex in every command."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from chassisctl.platform.schema import NAME, is_name

_ALPHABET = st.sampled_from("aZ09_.-\n é\t/")


@given(st.text(_ALPHABET, max_size=70) | st.text(max_size=70))
def test_is_name_matches_the_pattern(text: str) -> None:
    assert is_name(text) == bool(re.match(NAME, text))


def test_is_name_edges() -> None:
    assert is_name("a" * 64) and not is_name("a" * 65)
    assert is_name("psu1\n") and not is_name("psu1\n\n")  # "$" before one final newline, as re has it
    assert not is_name("") and not is_name("-a") and not is_name("é")


@given(st.text(st.sampled_from("aZ09.-_:/ \né"), max_size=80))
def test_state_names_are_the_regex_ones(bus_path: str) -> None:
    from chassisctl.platform.state import state_name

    where = re.sub(r"[^A-Za-z0-9_.-]", "-", bus_path.replace("/dev/", "").replace("sim:", "sim-"))
    assert state_name("compute-4n", bus_path) == f"compute-4n.{where}"[:64]
