"""The shared bounded readers: size cap, nesting cap, no NaN or infinity, errors naming the file."""

from __future__ import annotations

import json
import math
import os
import pathlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chassisctl.errors import ConfigError, StateError
from chassisctl.fileio import MAX_DEPTH, finite, json_loads, load_cache, read_capped, store_cache, toml_loads


def test_read_capped_reads_at_most_the_limit(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 10)
    assert read_capped(path, "file", ConfigError, limit=10) == b"x" * 10
    with pytest.raises(ConfigError, match=f"file {path} is larger than 9 bytes"):
        read_capped(path, "file", ConfigError, limit=9)
    with pytest.raises(StateError, match="/dev/zero is larger than 1 MiB"):
        read_capped("/dev/zero", "state", StateError)
    with pytest.raises(FileNotFoundError):
        read_capped(tmp_path / "none", "file", ConfigError)


def test_read_capped_does_not_wait_for_the_end_of_a_pipe() -> None:
    r, w = os.pipe()
    try:
        os.write(w, b"y" * 64)  # more than the limit, and the pipe stays open
        with pytest.raises(ConfigError):
            read_capped(f"/proc/self/fd/{r}", "pipe", ConfigError, limit=16)
    finally:
        os.close(r)
        os.close(w)


def test_toml_caps_and_messages() -> None:
    assert toml_loads("[a.b]\nc = 1.5\n", "f.toml", ConfigError) == {"a": {"b": {"c": 1.5}}}
    nested = "x = " + "[" * MAX_DEPTH + "]" * MAX_DEPTH
    with pytest.raises(ConfigError, match=r"^f\.toml: x\[0\]\[0\]\[0\]\.\.\.: nested deeper than 32"):
        toml_loads(nested, "f.toml", ConfigError)
    toml_loads("x = " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1), "f.toml", ConfigError)
    with pytest.raises(ConfigError, match=r"^f\.toml: nested deeper than 32 levels$"):
        toml_loads("x = " + "[" * 20000 + "]" * 20000, "f.toml", ConfigError)
    with pytest.raises(ConfigError, match=r"^f\.toml: t\.v\[1\]: nan is not a finite number$"):
        toml_loads("[t]\nv = [1.0, nan]\n", "f.toml", ConfigError)
    with pytest.raises(ConfigError, match="-inf"):
        toml_loads("[[t]]\nv = -inf\n", "f.toml", ConfigError)


@pytest.mark.parametrize("text, why", [("[NaN]", "NaN"), ('{"a": -Infinity}', "Infinity"), ("[1e400]", "1e400"),
                                       ("{", "Expecting"), (b"\xff", "decode"),
                                       ("[" * 100000 + "]" * 100000, "nested deeper")])
def test_json_refusals_are_one_state_error(text, why: str) -> None:
    with pytest.raises(StateError, match=why) as exc:
        json_loads(text, "s.json", StateError)
    assert exc.value.message.startswith("s.json: ")


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4),
                    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=3), kids, max_size=3),
                    max_leaves=20))
def test_json_loads_accepts_exactly_the_finite_documents(doc) -> None:
    import json

    text = json.dumps(doc)
    try:
        back = json_loads(text, "s.json", StateError)
    except StateError:
        assert "NaN" in text or "Infinity" in text
        return
    assert back == doc


def test_finite() -> None:
    assert finite("1.5") == 1.5 and finite(3) == 3.0
    for bad in ("nan", "inf", float("-inf"), "1e999"):
        with pytest.raises(ValueError):
            finite(bad)
    with pytest.raises(TypeError):
        finite(True)
    assert not math.isnan(finite("0"))


def test_cache_over_the_cap_or_with_nan_is_a_miss(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "c.json"
    store_cache(path, "d", 1, {"a": 1})
    assert load_cache(path, "d", 1) == {"a": 1}
    path.write_text('{"format": 1, "sha256": "d", "doc": {"a": NaN}}')
    assert load_cache(path, "d", 1) is None
    path.write_bytes(b" " * (2 << 20))
    assert load_cache(path, "d", 1) is None


# The nesting cap's fast check (fileio._nesting_at_most) against the tree walk it spares.

def _depth(doc) -> int:
    if isinstance(doc, dict):
        return 1 + max(map(_depth, doc.values()), default=0)
    if isinstance(doc, list):
        return 1 + max(map(_depth, doc), default=0)
    return 0


#: Strings made of the characters that could fool a byte scan: brackets, quotes, backslashes.
_TRICKY = st.text(alphabet='[]{}"\\\\ab\u00e9\u225b\n', max_size=6)


@given(st.recursive(st.none() | st.integers() | _TRICKY,
                    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(_TRICKY, kids, max_size=3),
                    max_leaves=40),
       st.integers(0, 12), st.booleans(), st.sampled_from(["str", "utf-8", "utf-16"]))
def test_fast_nesting_check_agrees_with_the_depth(doc, cap: int, ascii_only: bool, form: str) -> None:
    from chassisctl.fileio import _nesting_at_most

    text = json.dumps(doc, ensure_ascii=ascii_only)
    data = text if form == "str" else text.encode(form)
    ok = _nesting_at_most(data, cap)
    if form == "utf-16":
        assert not ok or _depth(doc) <= cap  # not read: the caller walks the tree
    else:
        assert ok == (_depth(doc) <= cap)


@pytest.mark.parametrize("depth", [MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, MAX_DEPTH + 5])
@pytest.mark.parametrize("form", ["str", "bytes"])
def test_json_nesting_cap_at_the_edge_and_its_message(depth: int, form: str) -> None:
    """The same documents pass and fail as with the tree walk alone, with the same error,
    however many brackets the strings around them hold."""
    noise = json.dumps(']]]}}}\\"') + ", " + json.dumps('\\"[[[{{{\\')
    text = '{"a": [' * (depth // 2) + "[" * (depth % 2) + noise + "]" * (depth % 2) + "]}" * (depth // 2)
    data = text if form == "str" else text.encode()
    if depth <= MAX_DEPTH:
        assert json_loads(data, "s.json", StateError) is not None
    else:
        with pytest.raises(StateError) as exc:
            json_loads(data, "s.json", StateError)
        assert exc.value.message == f"s.json: a[0].a[0]...: nested deeper than {MAX_DEPTH} levels"
