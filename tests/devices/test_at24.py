"""AT24 geometry and transfer planning (page sizes and block bits from the parts' datasheets)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chassisctl.devices import at24


@pytest.mark.parametrize(
    ("name", "size", "width", "addresses", "page"),
    [("24c02", 256, 1, 1, 8), ("24c04", 512, 1, 2, 16), ("24c08", 1024, 1, 4, 16), ("24c16", 2048, 1, 8, 16),
     ("24c32", 4096, 2, 1, 32), ("24c64", 8192, 2, 1, 32), ("24c128", 16384, 2, 1, 64),
     ("24c256", 32768, 2, 1, 64), ("24c512", 65536, 2, 1, 128)],
)
def test_geometry(name: str, size: int, width: int, addresses: int, page: int) -> None:
    p = at24.part(name)
    assert (p.size, p.addr_width, p.addresses, p.page_size) == (size, width, addresses, page)


def test_locate_uses_block_bits_and_msb_first_words() -> None:
    assert at24.locate(at24.part("24c16"), 0x50, 0x7FF) == (0x57, b"\xff")
    assert at24.locate(at24.part("24c04"), 0x50, 0x100) == (0x51, b"\x00")
    assert at24.locate(at24.part("24c64"), 0x50, 0x1234) == (0x50, b"\x12\x34")
    with pytest.raises(ValueError):
        at24.locate(at24.part("24c16"), 0x51, 0)  # block bits must be clear in the base
    with pytest.raises(ValueError):
        at24.part("24c99")


def test_plans() -> None:
    reads = at24.plan_read(at24.part("24c04"), 0x50, 250, 20)
    assert [(c.i2c_addr, c.word_addr, c.length) for c in reads] == [(0x50, b"\xfa", 6), (0x51, b"\x00", 14)]
    writes = at24.plan_write(at24.part("24c64"), 0x50, 30, 40)
    assert [(c.offset, c.length) for c in writes] == [(30, 2), (32, 32), (64, 6)]
    assert at24.plan_write(at24.part("24c02"), 0x50, 0, 16, max_chunk=4)[0].length == 4
    with pytest.raises(ValueError):
        at24.plan_read(at24.part("24c02"), 0x50, 250, 10)


@given(st.sampled_from(sorted(at24.PARTS)), st.data())
def test_plans_cover_exactly_and_never_cross(name: str, data: st.DataObject) -> None:
    p = at24.part(name)
    offset = data.draw(st.integers(0, p.size - 1))
    length = data.draw(st.integers(0, min(600, p.size - offset)))
    for plan, boundary in ((at24.plan_read(p, 0x50, offset, length), p.block_size),
                           (at24.plan_write(p, 0x50, offset, length), p.page_size)):
        pos = offset
        for chunk in plan:
            assert chunk.offset == pos and chunk.length > 0
            assert chunk.offset // boundary == (chunk.offset + chunk.length - 1) // boundary
            assert at24.locate(p, 0x50, chunk.offset) == (chunk.i2c_addr, chunk.word_addr)
            pos += chunk.length
        assert pos == offset + length
