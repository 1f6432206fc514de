"""The per-module "decoders raise only DecodeError" fuzz test, written once.

Each codec test module keeps its own list of decoders and binds the test by
name (``test_decoders_raise_only_decode_error = only_decode_errors(DECODERS,
max_size=24)``), so the fuzz target still sits beside the module it covers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chassisctl.ipmi.decode_errors import DecodeError


def only_decode_errors(decoders: Sequence[Callable[[bytes], object]], *, max_size: int,
                       error: type[Exception] = DecodeError) -> Callable[..., None]:
    """A test feeding arbitrary bytes to each decoder: it may fail only with ``error``
    (the IPMI DecodeError unless the codec's package has its own)."""

    @pytest.mark.parametrize("decode", decoders, ids=lambda f: f.__qualname__)
    @settings(max_examples=150)
    @given(data=st.binary(max_size=max_size))
    def test(decode: Callable[[bytes], object], data: bytes) -> None:
        try:
            decode(data)
        except error:
            pass

    return test
