"""RMCP, ASF and IPMI v1.5 session codecs (chassisctl.ipmi.rmcp)."""

from __future__ import annotations

import hashlib
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chassisctl.ipmi.decode_errors import DecodeError
from chassisctl.ipmi.rmcp import (
    ASF_PONG,
    AuthType,
    LanMessage,
    asf_ping,
    asf_pong,
    checksum,
    decode_asf,
    decode_lan_message,
    decode_rmcp_header,
    decode_v15,
    encode_lan_message,
    encode_lan_response,
    encode_v15,
    pad16,
    v15_auth_code,
)

# Get Channel Authentication Capabilities (IPMI v2.0 §22.13), as a lanplus client sends it.
CAPS_RQ = bytes.fromhex("0600ff07" "00" "00000000" "00000000" "09" "2018c881" "00388e04b5")
CAPS_RS = bytes.fromhex("0600ff07" "00" "00000000" "00000000" "10" "811c6320" "00380001950403000000000b")
# ASF Presence Ping and Pong (DMTF ASF 2.0 §3.2.4)
PING = bytes.fromhex("0600ff06" "000011be80420000")
PONG = bytes.fromhex("0600ff06" "000011be40420010" "000011be" "00000000" "81" "00" "000000000000")


def test_checksum_zero_sum():
    assert checksum(b"\x20\x18") == 0xC8
    assert (0x20 + 0x18 + checksum(b"\x20\x18")) & 0xFF == 0


def test_decode_worked_example_request():
    pkt = decode_v15(CAPS_RQ)
    assert (pkt.auth_type, pkt.seq, pkt.session_id, pkt.auth_code) == (0, 0, 0, None)
    msg = decode_lan_message(pkt.message)
    assert msg == LanMessage(0x20, 0x06, 0, 0x81, 0, 0, 0x38, b"\x8e\x04")
    assert encode_lan_message(msg) == pkt.message
    assert encode_v15(AuthType.NONE, 0, 0, encode_lan_message(msg)) == CAPS_RQ


def test_encode_response_matches_worked_example():
    req = decode_lan_message(decode_v15(CAPS_RQ).message)
    reply = encode_lan_response(req, 0, bytes.fromhex("0195040300000000"))
    assert encode_v15(AuthType.NONE, 0, 0, reply) == CAPS_RS
    rsp = decode_lan_message(reply)
    assert (rsp.to_addr, rsp.netfn, rsp.from_addr, rsp.cmd, rsp.data[0]) == (0x81, 0x07, 0x20, 0x38, 0)


def test_asf_ping_pong_bytes():
    assert asf_ping(0x42) == PING
    assert decode_asf(PING).tag == 0x42
    assert asf_pong(0x42) == PONG
    pong = decode_asf(PONG)
    assert pong.msg_type == ASF_PONG and pong.data[8] & 0x80  # IPMI supported


def test_rmcp_header():
    hdr = decode_rmcp_header(b"\x06\x00\x05\x86")
    assert hdr.is_ack and hdr.kind == 6 and hdr.seq == 5
    with pytest.raises(DecodeError):
        decode_rmcp_header(b"\x05\x00\xff\x07")


@pytest.mark.parametrize("bad", [
    CAPS_RQ[:-1],  # message shorter than its length byte
    CAPS_RQ[:-1] + b"\x00",  # chk2 wrong
    CAPS_RQ[:16] + b"\x00" + CAPS_RQ[17:],  # chk1 wrong
    CAPS_RQ[:10],
])
def test_bad_v15_packets_raise_decode_error(bad):
    with pytest.raises(DecodeError):
        decode_lan_message(decode_v15(bad).message)


def test_md5_auth_code_formula():
    pw = pad16(b"password")
    msg = bytes.fromhex("2018c88104383c")
    code = v15_auth_code(AuthType.MD5, pw, 0x11223344, msg, 7)
    assert code == hashlib.md5(pw + struct.pack("<I", 0x11223344) + msg + struct.pack("<I", 7) + pw).digest()
    assert v15_auth_code(AuthType.PASSWORD, pw, 1, msg, 7) == pw
    with pytest.raises(ValueError):
        v15_auth_code(AuthType.MD2, pw, 1, msg, 7)


def test_v15_with_auth_code_roundtrip():
    msg = encode_lan_message(LanMessage(0x20, 6, 0, 0x81, 5, 0, 0x01))
    code = bytes(range(16))
    pkt = decode_v15(encode_v15(AuthType.MD5, 9, 0xDEADBEEF, msg, code))
    assert (pkt.auth_type, pkt.seq, pkt.session_id, pkt.auth_code, pkt.message) == (2, 9, 0xDEADBEEF, code, msg)


@given(st.binary(max_size=80))
def test_decoders_raise_only_decode_error(data):
    for decoder in (decode_v15, decode_asf, decode_lan_message, decode_rmcp_header):
        try:
            decoder(data)
        except DecodeError:
            pass


@given(st.integers(0, 255), st.binary(max_size=40))
def test_decoders_on_mutated_valid_packets(pos, junk):
    data = bytearray(CAPS_RQ)
    data[pos % len(data)] ^= 0x5A
    for candidate in (bytes(data), CAPS_RQ + junk, CAPS_RQ[: pos % len(CAPS_RQ)]):
        try:
            decode_lan_message(decode_v15(candidate).message)
        except DecodeError:
            pass
