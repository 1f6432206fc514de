"""IPMB frames, matching and Send Message bridging, against frames worked by hand."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chassisctl.ipmi.decode_errors import DecodeError
from chassisctl.ipmi.ipmb import (IpmbRequest, IpmbResponse, checksum, decode_frame, decode_get_message,
                                  decode_send_message_request, encode_get_message_data, get_message_request,
                                  nested_response, send_message_request)
from chassisctl.ipmi.message import Request, Response
from chassisctl.ipmi.ssif import encode_request

H = bytes.fromhex

# (request, request frame, response frame), requester 81h, checksums worked by hand
WORKED = [
    (IpmbRequest(0x20, 0x06, 0, 0x81, 5, 0, 0x01),
     "20 18 C8 81 14 01 6A",
     "81 1C 63 20 14 01 00 20 81 03 09 02 BF 57 01 00 00 01 00 00 00 00 04"),
    (IpmbRequest(0x20, 0x00, 0, 0x81, 6, 0, 0x02, b"\x01"),
     "20 00 E0 81 18 02 01 64",
     "81 04 7B 20 18 02 00 C6"),
    (IpmbRequest(0x20, 0x04, 0, 0x81, 7, 0, 0x2D, b"\x30"),
     "20 10 D0 81 1C 2D 30 06",
     "81 14 6B 20 1C 2D 00 2A C0 00 80 2D"),
]


@pytest.mark.parametrize("frame, rq_hex, rs_hex", WORKED)
def test_worked_frames(frame: IpmbRequest, rq_hex: str, rs_hex: str) -> None:
    assert frame.encode() == H(rq_hex)
    assert IpmbRequest.decode(H(rq_hex)) == frame
    response = IpmbResponse.decode(H(rs_hex))
    assert response.answers(frame)
    assert frame.reply(response.cc, response.data).encode() == H(rs_hex)
    assert decode_frame(H(rq_hex)) == frame and decode_frame(H(rs_hex)) == response


def test_checksum_definition() -> None:
    assert checksum(H("20 18")) == 0xC8
    assert checksum(b"") == 0


def test_get_device_id_response_contents() -> None:
    response = IpmbResponse.decode(H(WORKED[0][2])).to_response()
    assert response == Response(0x07, 0x01, 0x00, H("20 81 03 09 02 BF 57 01 00 00 01 00 00 00 00"))


def test_request_conversion_keeps_lun() -> None:
    frame = IpmbRequest.from_request(Request(0x04, 0x2D, b"\x30", lun=1), rs_sa=0x20, rq_sa=0x10, rq_seq=63)
    assert frame.rs_lun == 1 and frame.to_request() == Request(0x04, 0x2D, b"\x30", lun=1)
    assert IpmbRequest.decode(frame.encode()) == frame


@pytest.mark.parametrize("field, value", [
    ("rs_sa", 0x22), ("rq_sa", 0x83), ("netfn", 0x05), ("cmd", 0x02), ("rq_seq", 6),
    ("rq_lun", 1), ("rs_lun", 2),
])
def test_matching_rejects_any_differing_field(field: str, value: int) -> None:
    frame = WORKED[0][0]
    good = IpmbResponse.decode(H(WORKED[0][2]))
    assert good.answers(frame)
    assert not dataclasses.replace(good, **{field: value}).answers(frame)


@pytest.mark.parametrize("frame", [
    "20 18 C9 81 14 01 6A",      # header checksum
    "20 18 C8 81 14 01 6B",      # data checksum
    "20 18 C8 81 14 6A",         # too short
    "81 1C 63 20 14 01 00 20",   # response checked as ... bad data checksum
])
def test_bad_frames_are_rejected(frame: str) -> None:
    with pytest.raises(DecodeError):
        decode_frame(H(frame))


def test_kind_is_checked() -> None:
    with pytest.raises(DecodeError, match="request netFn"):
        IpmbResponse.decode(H(WORKED[2][1]))  # 8 bytes, checksums fine, but a request
    with pytest.raises(DecodeError):
        IpmbRequest.decode(H(WORKED[1][2]))


def test_encoders_refuse_out_of_range_fields() -> None:
    with pytest.raises(ValueError):
        IpmbRequest(0x20, 0x06, 0, 0x81, 64, 0, 0x01).encode()
    with pytest.raises(ValueError):
        IpmbRequest(0x20, 0x40, 0, 0x81, 1, 0, 0x01).encode()


# -- bridging -------------------------------------------------------------------------------

SATELLITE = IpmbRequest(0x72, 0x04, 0, 0x20, 8, 0, 0x2D, b"\x05")
SATELLITE_ANSWER = SATELLITE.reply(0x00, H("64 C0 00"))


def test_send_message_vector_from_the_note() -> None:
    request = send_message_request(SATELLITE, channel=7)
    assert encode_request(request) == H("18 34 47 72 10 7E 20 20 2D 05 8E")
    assert decode_send_message_request(request) == (7, True, SATELLITE)
    untracked = send_message_request(SATELLITE, channel=0, track=False)
    assert untracked.data[0] == 0x00


def test_nested_response_shapes() -> None:
    full = Response(0x07, 0x34, 0x00, SATELLITE_ANSWER.encode())
    assert nested_response(full, SATELLITE) == SATELLITE_ANSWER
    without_address = Response(0x07, 0x34, 0x00, SATELLITE_ANSWER.encode()[1:])
    assert nested_response(without_address, SATELLITE) == SATELLITE_ANSWER
    assert nested_response(Response(0x07, 0x34, 0x00), SATELLITE) is None
    assert SATELLITE_ANSWER.to_response() == Response(0x05, 0x2D, 0x00, H("64 C0 00"))


def test_nested_response_must_answer_the_inner_request() -> None:
    other = dataclasses.replace(SATELLITE_ANSWER, rq_seq=9)
    with pytest.raises(DecodeError, match="does not answer"):
        nested_response(Response(0x07, 0x34, 0x00, other.encode()), SATELLITE)


def test_get_message_shape() -> None:
    data = encode_get_message_data(7, SATELLITE_ANSWER)
    assert data == bytes((0x07,)) + SATELLITE_ANSWER.encode()[1:]
    assert get_message_request() == Request(0x06, 0x33)
    assert decode_get_message(Response(0x07, 0x33, 0x00, data), SATELLITE) == (7, SATELLITE_ANSWER)
    with pytest.raises(DecodeError):
        decode_get_message(Response(0x07, 0x33, 0x00, b"\x07\x00"), SATELLITE)


# -- properties ------------------------------------------------------------------------------

requests = st.builds(IpmbRequest, st.integers(0, 255), st.integers(0, 63).map(lambda n: n & ~1),
                     st.integers(0, 3), st.integers(0, 255), st.integers(0, 63), st.integers(0, 3),
                     st.integers(0, 255), st.binary(max_size=32))


@given(requests, st.integers(0, 255), st.binary(max_size=32))
def test_round_trip(frame: IpmbRequest, cc: int, data: bytes) -> None:
    assert IpmbRequest.decode(frame.encode()) == frame
    answer = frame.reply(cc, data)
    assert IpmbResponse.decode(answer.encode()) == answer
    assert answer.answers(frame)


@given(st.binary(max_size=48))
def test_decoders_raise_only_decode_error(data: bytes) -> None:
    for decode in (IpmbRequest.decode, IpmbResponse.decode, decode_frame,
                   lambda d: nested_response(Response(0x07, 0x34, 0, d), SATELLITE),
                   lambda d: decode_get_message(Response(0x07, 0x33, 0, d), SATELLITE),
                   lambda d: decode_send_message_request(Request(0x06, 0x34, d))):
        try:
            decode(data)
        except DecodeError:
            pass
