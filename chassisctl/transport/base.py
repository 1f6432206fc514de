"""The one interface every BMC backend implements: IPMI request in, response out.

Backends (python-can's ``BusABC`` is the model) differ in how a request
reaches something that answers it: SSIF block transfers to a BMC, IPMB frames
to a BMC, or translation onto plain I2C devices (a platform description).
Everything above this line — power, sensors, the SDR cache, ``serve`` — is
written once against :class:`Transport`.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from chassisctl.namedtuple import NamedTuple

from chassisctl.clock import Clock
from chassisctl.errors import UsageError
from chassisctl.ipmi.message import Request, Response

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Protocol
else:
    Protocol = object  # the classes below only describe interfaces to the type checker

if TYPE_CHECKING:
    from chassisctl.config import BmcSettings
    from chassisctl.transport import Simulator
    from chassisctl.transport.bus import BusSpec

#: Receives one human-readable line per wire event when ``--debug`` is on.
Tracer = Callable[[str], None]

#: C0h (node busy) answers re-sent at most this many times, after 10, 20, 40 ms.
BUSY_RETRIES = 3


def retry_busy(send: Callable[[], Response], sleep: Callable[[float], None]) -> Response:
    """Re-send on C0h "node busy", a bounded number of times.

    The spec's C0h means the BMC did not process the request, so re-sending
    is safe even for Chassis Control; any other answer is returned as is.
    """
    response = send()
    for attempt in range(BUSY_RETRIES):
        if response.cc != 0xC0:
            break
        sleep(0.01 * 2**attempt)
        response = send()
    return response


class Transacts(Protocol):
    """Anything that answers a request: a :class:`Transport`, or a stand-in
    that replays answers already read (``serve`` decoding its last sensor scan)."""

    def transact(self, request: Request, *, node: str | int | None = None,
                 timeout: float | None = None) -> Response: ...


class NodeInfo(NamedTuple):
    """One managed node behind a transport (a chassis may hold several)."""

    name: str
    id: int


class TransportStats:
    """Counters the benchmarks and ``--debug`` summaries read.

    A plain class, like the other small types every command loads: a
    dataclass costs ~0.5 ms to build at import, several times what the
    command then spends using it.
    """

    __slots__ = ("requests", "by_command", "retries", "bus_transactions")

    def __init__(self, requests: int = 0, by_command: dict[str, int] | None = None, retries: int = 0,
                 bus_transactions: int = 0) -> None:
        self.requests = requests
        self.by_command: dict[str, int] = {} if by_command is None else by_command
        self.retries = retries
        #: Bus transactions (SMBus/I2C) issued, when the backend can count them.
        self.bus_transactions = bus_transactions

    def __repr__(self) -> str:
        return (f"TransportStats(requests={self.requests}, by_command={self.by_command!r}, "
                f"retries={self.retries}, bus_transactions={self.bus_transactions})")

    def count(self, request: Request) -> None:
        self.requests += 1
        self.by_command[request.name] = self.by_command.get(request.name, 0) + 1


class Transport(abc.ABC):
    """A channel to one BMC (or one translated platform) that answers IPMI.

    ``node`` selects one node of a multi-node chassis; ``None`` means the
    default (first) node.  A backend with a single node rejects any other
    selector with :class:`chassisctl.errors.UsageError`.
    """

    #: Short backend name: "ssif", "ipmb", "platform".
    kind: str = ""

    def __init__(self) -> None:
        self.stats = TransportStats()

    #: True when the answers come from the embedded simulator.
    simulated: bool = False

    @classmethod
    def open(cls, settings: BmcSettings, spec: BusSpec, *, clock: Clock, tracer: Tracer | None = None,
             simulator: Simulator | None = None) -> Transport:
        """This backend on the bus ``spec`` names, as ``settings`` configure it.

        ``simulator`` builds the simulated chassis when ``spec`` is a
        ``sim[:NAME]`` bus; without one such a bus is refused.
        """
        raise NotImplementedError(f"{cls.__name__} is not opened by name")

    @abc.abstractmethod
    def transact(self, request: Request, *, node: str | int | None = None,
                 timeout: float | None = None) -> Response:
        """Send ``request`` and return the matching response.

        Raises :class:`chassisctl.errors.ChassisError` subclasses only:
        ``UnreachableError`` when nothing answers, ``OutcomeUnknown`` when a
        non-idempotent request was delivered but not answered, ``ProtocolError``
        for malformed replies.  A non-zero completion code is *not* an error
        here: it is returned in the :class:`Response` for the caller to judge.
        """

    def nodes(self) -> list[NodeInfo]:
        return [NodeInfo("node1", 1)]

    def describe(self) -> str:
        """Where requests go, for messages: "/dev/i2c-1 addr 0x10 (SSIF)"."""
        return self.kind

    def identity(self) -> str:
        """Stable key for caches: bus path, address and transport kind."""
        return self.describe()

    def close(self) -> None:  # noqa: B027 - optional: a backend with nothing to release keeps this no-op
        pass

    def fileno(self) -> int | None:
        """A selectable descriptor, if the backend has one (for ``serve``)."""
        return None

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class BmcTransport(Transport):
    """A transport to one BMC with a single node (SSIF, IPMB).

    The backend supplies ``_transact`` (one request with its own re-sends and
    deadline); node selection, C0h retries and Send Message bridging are the
    same for every such BMC and live here once.
    """

    clock: Clock
    tracer: Tracer | None = None
    #: 8-bit address of the BMC on IPMB, the requester of bridged requests.
    bmc_addr: int = 0x20
    _bridge_seq: int = 0

    @property
    @abc.abstractmethod
    def default_timeout(self) -> float:
        """The budget of one request when the caller gives none."""

    @abc.abstractmethod
    def _transact(self, request: Request, *, timeout: float | None, idempotent: bool) -> Response:
        """One request to the BMC, re-sent as the backend allows."""

    def transact(self, request: Request, *, node: str | int | None = None,
                 timeout: float | None = None) -> Response:
        if node not in (None, 1, "1", "node1"):
            raise UsageError(f"{self.describe()} has a single node; no node {node!r}")
        return retry_busy(lambda: self._transact(request, timeout=timeout, idempotent=request.idempotent),
                          self.clock.sleep)

    def bridged(self, request: Request, channel: int, target_addr: int, *, bmc_addr: int | None = None,
                timeout: float | None = None) -> Response:
        """``request`` for the controller at 8-bit ``target_addr`` behind the BMC (Send Message)."""
        from chassisctl.transport.bridge import bridged_transact  # IPMB codecs: only when bridging

        self._bridge_seq = (self._bridge_seq + 1) % 64
        return bridged_transact(
            lambda req, idem, t: self._transact(req, timeout=t, idempotent=idem), request,
            channel=channel, target_addr=target_addr, bmc_addr=self.bmc_addr if bmc_addr is None else bmc_addr,
            seq=self._bridge_seq, clock=self.clock, timeout=self.default_timeout if timeout is None else timeout,
            tracer=self.tracer)
