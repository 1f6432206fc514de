"""The control socket's line format: round trips, and nothing but its own error on junk."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chassisctl.control.protocol import (
    MAX_REQUEST, ControlProtocolError, decode_reply, decode_request, encode_error, encode_request,
    encode_result)


def test_request_round_trip() -> None:
    assert decode_request(encode_request("lldp.neighbors", {"port": "port1"})) == (
        "lldp.neighbors", {"port": "port1"})
    assert decode_request(encode_request("ping")) == ("ping", {})


def test_reply_round_trip() -> None:
    assert decode_reply(encode_result({"neighbors": []})) == (True, {"neighbors": []})
    assert decode_reply(encode_error("unknown-query", "no such")) == (
        False, {"code": "unknown-query", "message": "no such"})


@pytest.mark.parametrize("line", [
    b"", b"[]", b"{}", b'{"schema": 2, "query": "ping"}', b'{"schema": 1}', b'{"schema": 1, "query": ""}',
    b'{"schema": 1, "query": "ping", "args": []}', b'{"schema": 1, "query": "ping", "args": {"x": NaN}}',
    b"[" * 100_000, b"x" * (MAX_REQUEST + 1),
])
def test_bad_requests_are_refused_with_the_protocol_error(line: bytes) -> None:
    with pytest.raises(ControlProtocolError):
        decode_request(line)


def test_a_reply_with_nan_is_never_written() -> None:
    with pytest.raises(ValueError):
        encode_result({"x": float("nan")})
    assert json.loads(encode_result({"x": 1.5}))["result"] == {"x": 1.5}


@settings(max_examples=300)
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_decoders_raise_only_their_own_error(data: bytes) -> None:
    for decode in (decode_request, decode_reply):
        try:
            decode(data)
        except ControlProtocolError:
            pass
