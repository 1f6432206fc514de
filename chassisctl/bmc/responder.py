"""BMC-side IPMI: one request in, one well-formed response out.

:class:`Responder` answers standard commands from a :class:`BmcModel`, an
:class:`SdrRepository` and an optional :class:`SelStore`.  Dispatch is data:
:data:`HANDLER_MODULES` maps a netFn to the module of its handlers
(python-can's ``BACKENDS`` idea), imported on the first request of that
netFn; each module's ``HANDLERS`` maps a command to a function that parses
the request data, asks the model or a store, and returns the reply object
(anything with ``encode()``) or an ``int`` completion code.  So a ``power
status`` on the simulator loads the chassis codecs only, not the SDR, SEL,
sensor and DCMI ones.  Around the handlers:

* unknown command -> C1h; request data of the wrong size -> C7h; a bad
  field -> CCh;
* a reply longer than ``max_response_data`` -> CAh, so nothing ever goes
  out that the transport cannot carry;
* an exception from the model (a bug) -> FFh, kept in :attr:`last_exception`
  — :meth:`Responder.handle` itself never raises.

``max_response_data`` is the room after the completion code in one reply:
29 on single-part SSIF (32 − netFn − cmd − CC); LAN can carry far more.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping

from chassisctl.ipmi.codes import CompletionCodeInt as CC
from chassisctl.ipmi.codes import NetFnInt, StorageCmdInt
from chassisctl.ipmi.decode_errors import DataLengthError, DecodeError
from chassisctl.ipmi.message import Request, Response

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Protocol
else:
    Protocol = object  # the classes below only describe interfaces to the type checker

if TYPE_CHECKING:
    from chassisctl.bmc.bmc_model import BmcModel
    from chassisctl.bmc.sdr_repository import SdrRepository
    from chassisctl.bmc.sel_store import SelStore

#: Single-part SSIF: a 32-byte block minus netFn/LUN, cmd and CC.
SSIF_SINGLE_PART_DATA = 29


class _Encodable(Protocol):
    def encode(self) -> bytes: ...


Result = _Encodable | int
Handler = Callable[["Responder", bytes, float], Result]

#: netFn -> module whose ``HANDLERS`` (cmd -> handler) answers it.  Adding a
#: command is one function plus one table line in that module.
HANDLER_MODULES: dict[int, str] = {
    NetFnInt.APP: "chassisctl.bmc.handlers.app",
    NetFnInt.CHASSIS: "chassisctl.bmc.handlers.chassis",
    NetFnInt.SENSOR_EVENT: "chassisctl.bmc.handlers.sensor",
    NetFnInt.STORAGE: "chassisctl.bmc.handlers.storage",
    NetFnInt.GROUP_EXTENSION: "chassisctl.bmc.handlers.dcmi",
}

#: Commands answered C1h when the responder has no SEL.
SEL_COMMANDS = frozenset(
    (NetFnInt.STORAGE, c)
    for c in (
        StorageCmdInt.GET_SEL_INFO,
        StorageCmdInt.RESERVE_SEL,
        StorageCmdInt.GET_SEL_ENTRY,
        StorageCmdInt.ADD_SEL_ENTRY,
        StorageCmdInt.CLEAR_SEL,
        StorageCmdInt.GET_SEL_TIME,
        StorageCmdInt.SET_SEL_TIME,
    )
)

#: SEL commands that change it on a client's behalf: an owner that persists the
#: SEL (the simulator, a platform) saves after one of these succeeds.
SEL_WRITES = frozenset(
    (NetFnInt.STORAGE, c)
    for c in (StorageCmdInt.ADD_SEL_ENTRY, StorageCmdInt.DELETE_SEL_ENTRY, StorageCmdInt.CLEAR_SEL,
              StorageCmdInt.SET_SEL_TIME)
)

_EMPTY: Mapping[int, Handler] = {}


def handlers_for(netfn: int) -> Mapping[int, Handler]:
    """cmd -> handler for ``netfn`` (empty for a netFn nobody answers).

    The module is imported on first use; ``sys.modules`` keeps it, so later
    requests pay one dictionary lookup.
    """
    module = HANDLER_MODULES.get(netfn)
    if module is None:
        return _EMPTY
    __import__(module)  # not importlib.import_module: importlib and warnings are ~0.7 ms more
    return sys.modules[module].HANDLERS


def handler_table() -> dict[tuple[int, int], Handler]:
    """Every (netFn, cmd) -> handler, importing all handler modules (tests, docs)."""
    return {(netfn, cmd): handler for netfn in HANDLER_MODULES
            for cmd, handler in handlers_for(netfn).items()}


def __getattr__(name: str) -> object:
    # ``HANDLERS``, the whole (netFn, cmd) table, is built only when asked for:
    # building it imports every handler module.
    if name == "HANDLERS":
        return handler_table()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Responder:
    def __init__(
        self,
        model: BmcModel,
        sdr: SdrRepository | Callable[[], SdrRepository],
        sel: SelStore | None = None,
        *,
        max_response_data: int,
    ) -> None:
        if max_response_data < 18:
            raise ValueError("max_response_data below 18 cannot carry a SEL entry or power reading")
        self.model = model
        self._sdr = sdr
        self.sel = sel
        self.max_response_data = max_response_data
        self.last_exception: BaseException | None = None

    @property
    def sdr(self) -> SdrRepository:
        """The repository; a factory is called on first use (building one can be costly)."""
        if callable(self._sdr):
            self._sdr = self._sdr()
        return self._sdr

    def handle(self, request: Request, now: float) -> Response:
        if self.sel is None and (request.netfn, request.cmd) in SEL_COMMANDS:
            return request.reply(CC.INVALID_COMMAND)
        try:
            handler = handlers_for(request.netfn).get(request.cmd)
            if handler is None:
                return request.reply(CC.INVALID_COMMAND)
            result = handler(self, bytes(request.data), now)
            if isinstance(result, int):
                return request.reply(result & 0xFF)
            data = result.encode()
        except DataLengthError:
            return request.reply(CC.REQUEST_DATA_LENGTH_INVALID)
        except DecodeError:
            return request.reply(CC.INVALID_DATA_FIELD)
        except Exception as exc:  # noqa: BLE001 - a model bug must not kill the server: it answers FFh
            self.last_exception = exc
            return request.reply(CC.UNSPECIFIED)
        if len(data) > self.max_response_data:
            return request.reply(CC.CANNOT_RETURN_REQUESTED_BYTES)
        return request.reply(CC.OK, data)

    def handle_payload(self, payload: bytes, now: float) -> bytes:
        """KCS/SSIF payload ``netFn<<2|LUN, cmd, data`` in, response payload
        ``(netFn|1)<<2|LUN, cmd, CC, data`` out.  Fewer than 2 bytes is not a
        request at all: :class:`DecodeError` (the transport drops it)."""
        if len(payload) < 2:
            raise DecodeError(f"request payload of {len(payload)} bytes")
        rsp = self.handle(Request(payload[0] >> 2, payload[1], bytes(payload[2:]), payload[0] & 0x03), now)
        return bytes([rsp.netfn << 2 | rsp.lun, rsp.cmd, rsp.cc]) + rsp.data
