"""chassisctl.namedtuple.NamedTuple behaves like typing.NamedTuple where chassisctl relies on it."""

from __future__ import annotations

import pickle
import typing

import pytest

from chassisctl.namedtuple import NamedTuple


class Fast(NamedTuple):
    """A record."""

    a: int
    b: str = "x"
    c: tuple = ()

    @property
    def twice(self) -> int:
        return self.a * 2

    def describe(self) -> str:
        return f"{self.a}{self.b}"

    LIMIT = 5


class Slow(typing.NamedTuple):
    a: int
    b: str = "x"
    c: tuple = ()


def test_fields_defaults_and_values() -> None:
    assert Fast._fields == Slow._fields == ("a", "b", "c")
    assert Fast._field_defaults == Slow._field_defaults
    assert Fast.__match_args__ == Slow.__match_args__
    for args, kwargs in [((1,), {}), ((1, "y"), {}), ((1, "y", (2,)), {}), ((), {"a": 3}),
                         ((1,), {"c": (4,)}), ((), {"b": "q", "a": 0})]:
        fast, slow = Fast(*args, **kwargs), Slow(*args, **kwargs)
        assert tuple(fast) == tuple(slow)
        assert fast == slow and hash(fast) == hash(slow)
        assert repr(fast) == repr(slow).replace("Slow", "Fast")
        assert fast._asdict() == slow._asdict()
        assert fast._replace(b="z") == slow._replace(b="z")
        assert Fast._make(list(slow)) == fast
        assert pickle.loads(pickle.dumps(fast)) == fast
        assert type(pickle.loads(pickle.dumps(fast))) is Fast
    record = Fast(4)
    assert record.twice == 8 and record.describe() == "4x" and Fast.LIMIT == 5
    assert Fast.__doc__ == "A record." and isinstance(record, tuple)
    a, b, c = record
    assert (a, b, c) == (4, "x", ())
    match record:
        case Fast(x, y):
            assert (x, y) == (4, "x")


@pytest.mark.parametrize("args, kwargs", [((), {}), ((1, 2, 3, 4), {}), ((1,), {"a": 2}), ((1,), {"d": 2})])
def test_bad_arguments_raise_type_error_like_typing(args, kwargs) -> None:
    with pytest.raises(TypeError):
        Slow(*args, **kwargs)
    with pytest.raises(TypeError):
        Fast(*args, **kwargs)


def test_bad_make_and_replace() -> None:
    with pytest.raises(TypeError):
        Fast._make([1, 2])
    with pytest.raises(ValueError):
        Fast(1)._replace(z=1)


def test_default_docstring_like_collections() -> None:
    class Bare(NamedTuple):
        x: int

    class BareSlow(typing.NamedTuple):
        x: int

    assert Bare.__doc__ == BareSlow.__doc__.replace("BareSlow", "Bare")


def test_immutable_and_slotted() -> None:
    record = Fast(1)
    with pytest.raises(AttributeError):
        record.a = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        record.other = 2  # type: ignore[attr-defined]


def test_default_order_is_checked() -> None:
    with pytest.raises(TypeError):
        class Bad(NamedTuple):
            a: int = 0
            b: int


def test_subclass_keeps_fields() -> None:
    class Child(Fast):
        def describe(self) -> str:
            return "child " + super().describe()

    assert Child(1).describe() == "child 1x" and Child._fields == Fast._fields
