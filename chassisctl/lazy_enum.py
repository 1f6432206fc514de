"""Enum classes built from plain-int tables on first use.

Building an ``enum.IntEnum`` costs ~50-250 us (the metaclass makes one
object per member and checks every alias); the IPMI modules define ~30 of
them, and a warm ``sensors`` used none of their enum behaviour: it only
compares, hashes and packs the values.  So a module keeps each table as a
plain class of ints (``NetFnInt.APP == 6``) for its hot path, and the enum
(``NetFn``) is made from that table by the module's ``__getattr__`` the
first time anything asks for it (``from ... import NetFn``, ``codes.NetFn``).
The functional API copies the table's members, order and values, so the
class is the one the ``class NetFn(enum.IntEnum)`` statement used to make;
it names the defining module, so it prints and pickles as before.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def enum_getattr(module: str, namespace: dict[str, Any],
                 specs: dict[str, tuple[str, type, str | None] | str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that builds ``specs[name] = (base, table, doc)`` once.

    ``base`` names the enum base class (``"IntEnum"``, ``"IntFlag"``,
    ``"Enum"``); ``table`` is the plain class whose public attributes are the
    members.  A spec that is a string re-exports the enum of that name from
    the module it names (``{"IdType": "chassisctl.ipmi.sdr_format"}``), so
    a re-exporting module does not build it at import either.  The class is
    stored in ``namespace`` (the module's globals), so later lookups never
    come back here.
    """

    def __getattr__(name: str) -> Any:
        # The module calls this too (``__getattr__("SdrRepoSupport")(bits)``):
        # a class built before is the one to return.
        if name in namespace:
            return namespace[name]
        spec = specs.get(name)
        if spec is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        if isinstance(spec, str):
            cls = getattr(__import__(spec, fromlist=[name]), name)
            namespace[name] = cls
            return cls
        import enum

        base, table, doc = spec
        cls = build(getattr(enum, base), name, table, doc, module)
        namespace[name] = cls
        return cls

    return __getattr__


def build(base: type, name: str, table: type, doc: str | None, module: str) -> Any:
    """The enum class ``base`` named ``name`` whose members are ``table``'s public attributes, in
    order, as if ``class name(base)`` had been written in ``module``."""
    members = {k: v for k, v in vars(table).items() if not k.startswith("_")}
    cls = base(name, members, module=module, qualname=name)
    cls.__doc__ = doc
    return cls
