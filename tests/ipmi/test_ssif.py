"""SSIF framing: payloads, the write plan, multi-part read reassembly, capabilities."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chassisctl.ipmi.decode_errors import DecodeError
from chassisctl.ipmi.message import Request, Response
from chassisctl.ipmi.ssif import (DEFAULT_CAPABILITIES, ReadAssembler, RequestTooLong, SsifCapabilities, SsifCmd,
                                  TransactionSupport, decode_capabilities, decode_request, decode_response,
                                  encode_request, encode_response, get_capabilities_request, read_blocks,
                                  write_plan)

GET_DEVICE_ID = Request(0x06, 0x01)
CHASSIS_ON = Request(0x00, 0x02, b"\x01")
SENSOR_30 = Request(0x04, 0x2D, b"\x30")
FULL = SsifCapabilities.full()
START_END = SsifCapabilities(TransactionSupport.START_END, False, 0, 63, 62)


@pytest.mark.parametrize("request_, payload", [
    (GET_DEVICE_ID, "18 01"),
    (CHASSIS_ON, "00 02 01"),
    (SENSOR_30, "10 2D 30"),
    (get_capabilities_request(), "18 57 00"),
    (Request(0x06, 0x01, lun=2), "1A 01"),
])
def test_request_payloads_match_the_note(request_: Request, payload: str) -> None:
    assert encode_request(request_) == bytes.fromhex(payload)
    assert decode_request(bytes.fromhex(payload)) == request_


def test_response_decodes_and_validates_like_the_kernel() -> None:
    response = decode_response(bytes.fromhex("14 2D 00 2A C0 00 80"), SENSOR_30)
    assert response == Response(0x05, 0x2D, 0x00, bytes.fromhex("2A C0 00 80"))
    assert response.answers(SENSOR_30)
    assert encode_response(response) == bytes.fromhex("14 2D 00 2A C0 00 80")
    assert decode_response(bytes.fromhex("04 02 00"), CHASSIS_ON).ok


@pytest.mark.parametrize("payload", [
    "14 2D",            # no completion code
    "10 2D 00",         # request netFn byte (bit 2 clear)
    "1C 2D 00",         # wrong netFn
    "14 2E 00",         # wrong command
    "15 2D 00",         # wrong LUN: resp[0] must be req[0] | 4 exactly
    "",
])
def test_responses_that_do_not_answer_the_request_are_rejected(payload: str) -> None:
    with pytest.raises(DecodeError):
        decode_response(bytes.fromhex(payload), SENSOR_30)


def test_decode_response_without_request_still_wants_a_response_netfn() -> None:
    with pytest.raises(DecodeError):
        decode_response(bytes.fromhex("18 01 00"))
    assert decode_response(bytes.fromhex("1C 01 00")).netfn == 0x07


def test_write_plan_single_part() -> None:
    assert write_plan(bytes.fromhex("18 01")) == [(SsifCmd.SINGLE_WRITE, bytes.fromhex("18 01"))]
    assert write_plan(bytes(32)) == [(0x02, bytes(32))]


def test_write_plan_refuses_long_requests_without_multipart() -> None:
    with pytest.raises(RequestTooLong, match="33 bytes.*32 bytes"):
        write_plan(bytes(33), DEFAULT_CAPABILITIES)


@pytest.mark.parametrize("size, commands, last", [
    (33, [0x06, 0x08], 1),
    (64, [0x06, 0x08], 32),
    (65, [0x06, 0x07, 0x08], 1),
    (100, [0x06, 0x07, 0x07, 0x08], 4),
    (255, [0x06] + [0x07] * 6 + [0x08], 31),
])
def test_write_plan_multipart(size: int, commands: list[int], last: int) -> None:
    payload = bytes(i & 0xFF for i in range(size))
    plan = write_plan(payload, FULL)
    assert [cmd for cmd, _ in plan] == commands
    assert all(len(block) == 32 for _, block in plan[:-1])
    assert len(plan[-1][1]) == last
    assert b"".join(block for _, block in plan) == payload


def test_write_plan_honours_start_end_and_max_request() -> None:
    assert len(write_plan(bytes(63), START_END)) == 2
    with pytest.raises(RequestTooLong):
        write_plan(bytes(64), START_END)
    with pytest.raises(RequestTooLong):
        write_plan(bytes(101), SsifCapabilities(TransactionSupport.START_MIDDLE_END, False, 0, 100, 100))


# -- capabilities -------------------------------------------------------------------------------

def test_capabilities_decode_qemu_answer() -> None:
    caps = decode_capabilities(bytes.fromhex("00 80 FF FF"))
    assert caps.transaction_support == TransactionSupport.START_MIDDLE_END
    assert (caps.max_request, caps.max_response, caps.pec_supported) == (255, 255, False)


def test_capabilities_linux_clamps() -> None:
    single = decode_capabilities(bytes.fromhex("00 08 FF FF"))
    assert (single.max_request, single.max_response, single.pec_supported) == (32, 32, True)
    assert not single.multipart_write and not single.multipart_read
    two = decode_capabilities(bytes.fromhex("00 41 FF FF"))
    assert (two.max_request, two.max_response, two.version) == (63, 62, 1)
    assert decode_capabilities(bytes.fromhex("00 80 00 01")).max_request == 32  # unreported sizes


def test_capabilities_encode_round_trip() -> None:
    for caps in (FULL, DEFAULT_CAPABILITIES, SsifCapabilities(TransactionSupport.START_END, True, 3, 63, 62)):
        assert decode_capabilities(caps.encode()) == caps


@pytest.mark.parametrize("data", ["", "00 80 FF", "00 C0 FF FF"])
def test_capabilities_bad_data(data: str) -> None:
    with pytest.raises(DecodeError):
        decode_capabilities(bytes.fromhex(data))


# -- multi-part reads --------------------------------------------------------------------------

def feed_all(blocks: list[bytes]) -> bytes:
    assembler = ReadAssembler()
    commands = []
    for block in blocks:
        commands.append(assembler.next_command)
        assembler.feed(block)
    assert assembler.done and assembler.next_command is None
    assert commands[0] == SsifCmd.READ_START and all(c == SsifCmd.READ_MIDDLE for c in commands[1:])
    return assembler.message()


def test_read_blocks_layout() -> None:
    payload = bytes(range(100))
    blocks = read_blocks(payload)
    assert blocks[0] == b"\x00\x01" + payload[:30]
    assert blocks[1] == b"\x00" + payload[30:61]
    assert blocks[2] == b"\x01" + payload[61:92]
    assert blocks[3] == b"\xff" + payload[92:]
    assert feed_all(blocks) == payload


def test_single_block_responses_are_complete_at_once() -> None:
    assembler = ReadAssembler()
    assert assembler.feed(bytes.fromhex("1C 01 00")) is True
    assert assembler.message() == bytes.fromhex("1C 01 00")


def test_a_31_byte_block_starting_00_01_is_not_a_start_marker() -> None:
    block = b"\x00\x01" + bytes(29)
    assert feed_all([block]) == block


@pytest.mark.parametrize("blocks, why", [
    ([b"\x00\x01" + bytes(30), b"\x01" + bytes(31)], "out of order"),
    ([b"\x00\x01" + bytes(30), b"\x00" + bytes(30)], "not 31"),
    ([b"\x00\x01" + bytes(30), b"\xff"], "empty last block"),
    ([b""], "block of 0 bytes"),
])
def test_malformed_multipart_reads_abort(blocks: list[bytes], why: str) -> None:
    assembler = ReadAssembler()
    with pytest.raises(DecodeError, match=why):
        for block in blocks:
            assembler.feed(block)


def test_assembler_refuses_more_blocks_and_incomplete_messages() -> None:
    assembler = ReadAssembler()
    assembler.feed(b"\x00\x01" + bytes(30))
    with pytest.raises(DecodeError):
        assembler.message()
    done = ReadAssembler()
    done.feed(b"\x1c\x01\x00")
    with pytest.raises(DecodeError):
        done.feed(b"\x1c\x01\x00")


def test_assembler_caps_the_message_at_255_bytes() -> None:
    assembler = ReadAssembler()
    assembler.feed(b"\x00\x01" + bytes(30))
    with pytest.raises(DecodeError, match="longer than 255"):
        for number in range(10):
            assembler.feed(bytes((number,)) + bytes(31))


@given(st.binary(min_size=1, max_size=255))
def test_read_blocks_and_assembler_round_trip(payload: bytes) -> None:
    # a response's first byte has bit 2 set (response netFn), so it never looks like 00 01
    payload = bytes((payload[0] | 0x04,)) + payload[1:]
    assert feed_all(read_blocks(payload)) == payload


@given(st.lists(st.binary(max_size=40), max_size=12))
def test_assembler_raises_only_decode_error(blocks: list[bytes]) -> None:
    assembler = ReadAssembler()
    try:
        for block in blocks:
            assembler.feed(block)
        assembler.message()
    except DecodeError:
        pass


@given(st.binary(max_size=40), st.binary(min_size=2, max_size=8))
def test_decoders_raise_only_decode_error(data: bytes, request_payload: bytes) -> None:
    for decode in (decode_capabilities, decode_request, decode_response,
                   lambda d: decode_response(d, decode_request(request_payload))):
        try:
            decode(data)
        except DecodeError:
            pass
