"""``NamedTuple`` for hot-path records, without ``typing``'s start-up cost.

``typing.NamedTuple`` costs an import of :mod:`typing` (~2-9 ms on this
machine class) and, per class, ``collections.namedtuple``'s ``eval`` of a
generated ``__new__`` plus typing's annotation checks (~0.3 ms each).  The
everyday commands define dozens of record types before they send a single
byte, so that was a large share of ``power status`` and ``sensors``.

Here the class statement is the same (``class Reading(NamedTuple): value:
int; unit: str = ""``, methods and docstrings included) and mypy sees
``typing.NamedTuple`` itself, but at run time the class is built directly:
a ``tuple`` subclass with ``_tuplegetter`` field accessors (what
``collections.namedtuple`` uses), ``_fields``, ``_field_defaults``,
``_make``, ``_replace``, ``_asdict``, ``__match_args__``, a namedtuple-style
``repr`` and pickling by ``__getnewargs__``.  Nothing is compiled or
evaluated.  ``tests/test_namedtuple.py`` holds it to ``typing.NamedTuple``'s
behaviour.
"""

from __future__ import annotations

TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import NamedTuple as NamedTuple
else:
    from _collections import _tuplegetter

    _tuple_new = tuple.__new__

    def _build(name, bases, ns):
        fields = tuple(ns.get("__annotations__", {}))
        defaults = {f: ns[f] for f in fields if f in ns}
        seen_default = False
        for f in fields:
            if f in defaults:
                seen_default = True
            elif seen_default:
                raise TypeError(f"Non-default namedtuple field {f} cannot follow default field(s)")
            if f.startswith("_"):
                raise ValueError(f"Field names cannot start with an underscore: {f!r}")
        count = len(fields)
        index = {f: i for i, f in enumerate(fields)}
        tail = tuple(defaults[f] for f in fields if f in defaults)
        first_default = count - len(tail)

        def __new__(cls, *args, **kwargs):
            if not kwargs and len(args) == count:
                return _tuple_new(cls, args)
            if len(args) > count:
                raise TypeError(f"{name}.__new__() takes {count + 1} positional arguments but "
                                f"{len(args) + 1} were given")
            values = list(args) + [_MISSING] * (count - len(args))
            for key, value in kwargs.items():
                i = index.get(key)
                if i is None:
                    raise TypeError(f"{name}.__new__() got an unexpected keyword argument {key!r}")
                if values[i] is not _MISSING:
                    raise TypeError(f"{name}.__new__() got multiple values for argument {key!r}")
                values[i] = value
            for i in range(count):
                if values[i] is _MISSING:
                    if i < first_default:
                        missing = [fields[j] for j in range(count) if values[j] is _MISSING and j < first_default]
                        raise TypeError(f"{name}.__new__() missing {len(missing)} required positional "
                                        f"argument{'s' if len(missing) > 1 else ''}: "
                                        + ", ".join(repr(m) for m in missing))
                    values[i] = tail[i - first_default]
            return _tuple_new(cls, values)

        __new__.__qualname__ = f"{ns.get('__qualname__', name)}.__new__"

        body = {k: v for k, v in ns.items() if k not in defaults and k != "__annotations__"}
        body["__annotations__"] = ns.get("__annotations__", {})
        if body.get("__doc__") is None:
            body["__doc__"] = f"{name}({repr(fields).replace(chr(39), '')[1:-1]})"  # as collections.namedtuple
        body["__slots__"] = ()
        body["_fields"] = fields
        body["_field_defaults"] = defaults
        body["__match_args__"] = fields
        body["__new__"] = __new__
        for k, v in _METHODS.items():
            body.setdefault(k, v)
        for i, f in enumerate(fields):
            body[f] = _tuplegetter(i, f"Alias for field number {i}")
        cls = type.__new__(type, name, (tuple,), body)
        return cls

    class _Missing:
        __slots__ = ()

    _MISSING = _Missing()

    def __repr__(self):
        return self.__class__.__name__ + "(" + ", ".join(
            f"{f}={v!r}" for f, v in zip(self._fields, self, strict=True)) + ")"

    @classmethod
    def _make(cls, iterable):
        result = _tuple_new(cls, iterable)
        if len(result) != len(cls._fields):
            raise TypeError(f"Expected {len(cls._fields)} arguments, got {len(result)}")
        return result

    def _replace(self, /, **kwargs):
        result = self._make([kwargs.pop(f, v) for f, v in zip(self._fields, self, strict=True)])
        if kwargs:
            raise ValueError(f"Got unexpected field names: {list(kwargs)!r}")
        return result

    def _asdict(self):
        return dict(zip(self._fields, self, strict=True))

    def __getnewargs__(self):
        return tuple(self)

    _METHODS = {"__repr__": __repr__, "_make": _make, "_replace": _replace, "_asdict": _asdict,
                "__getnewargs__": __getnewargs__}

    class _NamedTupleMeta(type):
        def __new__(mcls, name, bases, ns):
            if ns.get("_root", False):
                return super().__new__(mcls, name, bases, ns)
            return _build(name, bases, ns)

    class NamedTuple(metaclass=_NamedTupleMeta):
        """Base of a record class: ``class Point(NamedTuple): x: int; y: int = 0``."""

        _root = True

