"""chassisctl.digests gives what hashlib and uuid give."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chassisctl.digests import NAMESPACE_URL, parse_uuid, sha256_hex, uuid5


def test_namespace_is_uuids() -> None:
    assert NAMESPACE_URL == uuid.NAMESPACE_URL.bytes


@given(st.binary(max_size=3000))
def test_sha256_matches_hashlib(data: bytes) -> None:
    assert sha256_hex(data) == hashlib.sha256(data).hexdigest()


@given(st.binary(min_size=16, max_size=16), st.text(max_size=80))
def test_uuid5_matches_uuid(namespace: bytes, name: str) -> None:
    assert uuid5(namespace, name) == uuid.uuid5(uuid.UUID(bytes=namespace), name).bytes


def test_uuid5_of_the_platform_names() -> None:
    for name in ("compute-4n", "switch-1u", "node1", ""):
        url = f"chassisctl:platform:{name}"
        assert uuid5(NAMESPACE_URL, url) == uuid.uuid5(uuid.NAMESPACE_URL, url).bytes


@pytest.mark.parametrize("text", [
    "12345678-1234-5678-1234-567812345678", "{12345678-1234-5678-1234-567812345678}",
    "urn:uuid:12345678-1234-5678-1234-567812345678", "12345678123456781234567812345678",
    "ABCDEF00-0000-0000-0000-00000000000F", "1234_678-1234-5678-1234-567812345678",
])
def test_parse_uuid_accepts_what_uuid_accepts(text: str) -> None:
    assert parse_uuid(text) == uuid.UUID(text).bytes


@pytest.mark.parametrize("text", ["", "not-a-uuid", "12345678-1234-5678-1234-56781234567",
                                  "12345678-1234-5678-1234-5678123456789", "g2345678123456781234567812345678"])
def test_parse_uuid_refuses_what_uuid_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        uuid.UUID(text)
    with pytest.raises(ValueError):
        parse_uuid(text)


@given(st.text(max_size=40))
def test_parse_uuid_agrees_on_any_text(text: str) -> None:
    try:
        expected: bytes | None = uuid.UUID(text).bytes
    except ValueError:
        expected = None
    try:
        got: bytes | None = parse_uuid(text)
    except ValueError:
        got = None
    assert got == expected
