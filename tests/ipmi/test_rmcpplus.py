"""RMCP+ codecs, RAKP key formulas, integrity and AES (chassisctl.ipmi.rmcpplus)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chassisctl.ipmi.decode_errors import DecodeError
from chassisctl.ipmi.rmcpplus import (
    CIPHER_SUITES,
    AesCbc128,
    AuthAlg,
    IntegrityAlg,
    OpenSessionRequest,
    PayloadType,
    Rakp1,
    check_trailer,
    decode_open_session_request,
    decode_open_session_response,
    decode_rakp1,
    decode_rakp2,
    decode_rakp3,
    decode_rakp4,
    decode_rmcpplus_header,
    decrypt_aes_cbc_128,
    derive_k,
    encode_open_session_request,
    encode_open_session_response,
    encode_rakp1,
    encode_rakp2,
    encode_rmcpplus,
    encrypt_aes_cbc_128,
    rakp2_auth_code,
    rakp3_auth_code,
    rakp4_icv,
    session_integrity_key,
    suite_for,
)

# A self-consistency vector for the RAKP HMACs and SIK (IPMI v2.0 §13.31, §13.32): fixed random numbers,
# session IDs, GUID and role.
RM = bytes(range(16))
RC = bytes(range(16, 32))
SID_M, SID_C = 0xA0A1A2A3, 0x02000001
GUID = bytes.fromhex("a123456789abcdefa123456789abcdef")
ROLE = 0x14
USER, PASSWORD = b"admin", b"password"

# Open Session Request/Response (IPMI v2.0 §13.17-13.18): a suite-17 proposal asking for the highest
# privilege, and the answer
OPEN_RQ = bytes.fromhex(
    "0600ff07" "0610" "00000000" "00000000" "2000"
    "00000000" "a3a2a1a0" "0000000803000000" "0100000804000000" "0200000801000000"
)
OPEN_RS = bytes.fromhex(
    "0600ff07" "0611" "00000000" "00000000" "2400"
    "00000400" "a3a2a1a0" "01000002" "0000000803000000" "0100000804000000" "0200000801000000"
)


def test_sha1_vector():
    code = rakp2_auth_code(AuthAlg.HMAC_SHA1, PASSWORD, SID_M, SID_C, RM, RC, GUID, ROLE, USER)
    assert code.hex() == "ddd47067f9844f85491605494c7093c797f7f23d"
    sik = session_integrity_key(AuthAlg.HMAC_SHA1, PASSWORD, RM, RC, ROLE, USER)
    assert sik.hex() == "122c77c4b11ccd93251cbae6c34a9cb6310da154"
    assert derive_k(AuthAlg.HMAC_SHA1, sik, 1).hex() == "e4472be78f9a81fa68297aab696a7be8c97fc9f8"
    assert rakp4_icv(AuthAlg.HMAC_SHA1, sik, RM, SID_C, GUID).hex() == "5a97aab7f1537921d2c7ce26"


def test_sha256_vector():
    code = rakp2_auth_code(AuthAlg.HMAC_SHA256, PASSWORD, SID_M, SID_C, RM, RC, GUID, ROLE, USER)
    assert code.hex() == "510b67f3c392e5cff0d67bee17196547b06ee40a4de1f93d40fb277f2925aa0c"
    sik = session_integrity_key(AuthAlg.HMAC_SHA256, PASSWORD, RM, RC, ROLE, USER)
    assert rakp4_icv(AuthAlg.HMAC_SHA256, sik, RM, SID_C, GUID).hex() == "e8c36c50ef2006b31309b9586f0a1b5a"


def test_rakp3_code_and_password_padding():
    a = rakp3_auth_code(AuthAlg.HMAC_SHA1, PASSWORD, RC, SID_M, ROLE, USER)
    b = rakp3_auth_code(AuthAlg.HMAC_SHA1, PASSWORD.ljust(20, b"\0"), RC, SID_M, ROLE, USER)
    assert a == b and len(a) == 20
    assert rakp3_auth_code(AuthAlg.NONE, PASSWORD, RC, SID_M, ROLE, USER) == b""


def test_open_session_examples():
    hdr = decode_rmcpplus_header(OPEN_RQ)
    assert hdr.payload_type == PayloadType.OPEN_SESSION_REQUEST and hdr.session_id == 0
    req = decode_open_session_request(hdr.payload(OPEN_RQ))
    assert req == OpenSessionRequest(0, 0, SID_M, 3, 4, 1)
    assert encode_rmcpplus(PayloadType.OPEN_SESSION_REQUEST, 0, 0, encode_open_session_request(req)) == OPEN_RQ
    rsp = encode_open_session_response(0, 0, 4, SID_M, SID_C, CIPHER_SUITES[17])
    assert encode_rmcpplus(PayloadType.OPEN_SESSION_RESPONSE, 0, 0, rsp) == OPEN_RS
    back = decode_open_session_response(rsp)
    assert (back.status, back.privilege, back.bmc_session_id, back.auth, back.integrity) == (0, 4, SID_C, 3, 4)
    assert len(encode_open_session_response(0, 0x11, 4, SID_M)) == 8


def test_suite_records_and_lookup():
    assert CIPHER_SUITES[3].record + CIPHER_SUITES[17].record == bytes.fromhex("c003014181c011034481")
    assert CIPHER_SUITES[1].record == bytes.fromhex("c001014080")
    assert CIPHER_SUITES[2].record == bytes.fromhex("c002014180")
    assert suite_for(3, 4, 1) is CIPHER_SUITES[17]
    assert suite_for(2, 2, 1) is None  # MD5 suites are not implemented
    assert CIPHER_SUITES[17].icv_length == 16 and CIPHER_SUITES[3].icv_length == 12


def test_rakp_codecs_roundtrip():
    m = Rakp1(7, SID_C, RM, ROLE, USER)
    assert decode_rakp1(encode_rakp1(m)) == m
    r2 = decode_rakp2(encode_rakp2(7, 0, SID_M, RC, GUID, b"x" * 20))
    assert (r2.rc, r2.guid, r2.auth_code) == (RC, GUID, b"x" * 20)
    assert decode_rakp2(encode_rakp2(7, 0x0D, SID_M)).status == 0x0D
    with pytest.raises(DecodeError):
        decode_rakp1(encode_rakp1(m)[:-1])
    with pytest.raises(DecodeError):
        decode_rakp1(encode_rakp1(m)[:27] + b"\x11" + b"a" * 17)  # name longer than 16


@pytest.mark.parametrize("alg,n", [(IntegrityAlg.HMAC_SHA1_96, 12), (IntegrityAlg.HMAC_SHA256_128, 16)])
@pytest.mark.parametrize("size", range(0, 9))
def test_integrity_trailer(alg, n, size):
    k1 = b"k" * 20
    packet = encode_rmcpplus(PayloadType.IPMI, 5, 9, bytes(size), integrity=alg, k1=k1)
    assert (len(packet) - 4 - n) % 4 == 0  # auth type .. next header is a multiple of 4
    hdr = decode_rmcpplus_header(packet)
    assert hdr.authenticated and not hdr.encrypted and hdr.seq == 9
    assert check_trailer(packet, hdr, alg, k1)
    assert not check_trailer(packet, hdr, alg, b"other")
    tampered = bytearray(packet)
    tampered[16] ^= 1 if size else 0
    if size:
        assert not check_trailer(bytes(tampered), hdr, alg, k1)


@pytest.mark.parametrize("size", [0, 1, 14, 15, 16, 17, 40])
def test_aes_roundtrip_and_pad(size):
    k2 = bytes(range(20))
    data = bytes(range(size))
    payload = encrypt_aes_cbc_128(k2, b"\x01" * 16, data)
    assert len(payload) % 16 == 0 and payload[:16] == b"\x01" * 16
    assert decrypt_aes_cbc_128(k2, payload) == data
    with pytest.raises(DecodeError):
        decrypt_aes_cbc_128(k2, payload[:-1])


def test_aes_bad_pad_rejected():
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    k2 = bytes(20)
    enc = Cipher(algorithms.AES(k2[:16]), modes.CBC(bytes(16))).encryptor()
    bad = bytes(16) + enc.update(b"\x00" * 14 + b"\x07\x01") + enc.finalize()
    with pytest.raises(DecodeError):
        decrypt_aes_cbc_128(k2, bad)


def test_import_does_not_load_cryptography():
    code = ("import sys, chassisctl.ipmi.rmcpplus, chassisctl.ipmi.lan, chassisctl.ipmi.lan.console;"
            "sys.exit('cryptography' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], timeout=30).returncode == 0


@given(st.binary(max_size=100))
def test_decoders_raise_only_decode_error(data):
    for decoder in (decode_rmcpplus_header, decode_open_session_request, decode_open_session_response,
                    decode_rakp1, decode_rakp2, decode_rakp3, decode_rakp4):
        try:
            decoder(data)
        except DecodeError:
            pass


@given(st.binary(min_size=0, max_size=64), st.binary(min_size=0, max_size=40))
def test_trailer_and_aes_raise_only_decode_error(data, tail):
    packet = b"\x06\x00\xff\x07\x06\x40" + bytes(8) + len(data).to_bytes(2, "little") + data + tail
    try:
        hdr = decode_rmcpplus_header(packet)
        check_trailer(packet, hdr, IntegrityAlg.HMAC_SHA1_96, b"k")
    except DecodeError:
        pass
    try:
        decrypt_aes_cbc_128(b"k" * 16, data)
    except DecodeError:
        pass


@pytest.mark.parametrize("size", [0, 15, 16, 31, 32, 100])
def test_aes_matches_library_cbc(size):
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    k2, iv = bytes(range(7, 27)), bytes(range(40, 56))
    data = bytes((i * 7) & 0xFF for i in range(size))
    n = -(size + 1) % 16
    plain = data + bytes(range(1, n + 1)) + bytes((n,))
    enc = Cipher(algorithms.AES(k2[:16]), modes.CBC(iv)).encryptor()
    assert encrypt_aes_cbc_128(k2, iv, data) == iv + enc.update(plain) + enc.finalize()
    aes = AesCbc128(k2)
    assert aes.decrypt(aes.encrypt(iv, data)) == data


@settings(max_examples=200)
@given(st.lists(st.tuples(st.binary(min_size=16, max_size=16), st.binary(max_size=100)), min_size=1, max_size=6))
def test_session_encryptor_equals_a_fresh_cbc_per_packet(packets) -> None:
    """One AesCbc128 runs a CBC context for the whole session; whatever it
    encrypted before, each packet is exactly CBC under its own IV."""
    k2 = bytes(range(3, 23))
    aes = AesCbc128(k2)
    for iv, data in packets:
        assert aes.encrypt(iv, data) == encrypt_aes_cbc_128(k2, iv, data)
        assert aes.decrypt(aes.encrypt(iv, data)) == data


@given(st.sampled_from([0x01, 0x04]), st.binary(max_size=200), st.binary(max_size=80))
def test_session_mac_equals_integrity_code(alg: int, k1: bytes, span: bytes) -> None:
    """The per-session keyed MAC gives exactly the codes of the one-shot function."""
    from chassisctl.ipmi.rmcpplus import SessionMac, integrity_code

    mac = SessionMac(alg, k1)
    assert mac.code(span) == integrity_code(alg, k1, span)
    assert mac.code(span) == mac.code(span)  # copying leaves the keyed state untouched
