"""One command's connection to the BMC: settings -> transport -> cleanup.

Commands open a session, use ``session.transport`` and let the context
manager close the bus.  The session also owns the facts every output shares
(``"transport": "sim"`` when simulated, bus, address, node) and the one-line
"simulated chassis" notice on a terminal.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from chassisctl.cli.common import state

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class NodeTarget:
    """The node a command acts on (a plain class: no dataclass build at import)."""

    __slots__ = ("name", "id", "selector")

    def __init__(self, name: str, id: int, selector: str | int | None) -> None:  # noqa: A002 - the JSON key
        self.name = name
        self.id = id
        #: What the transport is given: None for a single-node backend.
        self.selector = selector

    @classmethod
    def of(cls, node: Any, single: bool) -> NodeTarget:
        return cls(node.name, node.id, None if single else node.name)


class Session:
    def __init__(self, transport, settings, clock) -> None:
        self.transport = transport
        self.settings = settings
        self.clock = clock

    def meta(self) -> dict[str, Any]:
        s = self.settings
        return {
            "transport": "sim" if self.transport.simulated else self.transport.kind,
            "interface": self.transport.kind,
            "bus": s.bus,
            "addr": f"{s.addr:#04x}",
            "simulated": self.transport.simulated,
        }

    def node_targets(self, all_nodes: bool = False) -> list[NodeTarget]:
        if not all_nodes:
            return [self.node_target()]
        nodes = self.transport.nodes()
        return [NodeTarget.of(n, len(nodes) == 1) for n in nodes]

    def node_target(self) -> NodeTarget:
        from chassisctl.errors import UsageError

        nodes = self.transport.nodes()
        wanted = self.settings.node
        found = nodes[0] if wanted is None else next((n for n in nodes if wanted in (n.name, str(n.id))), None)
        if found is None:
            known = ", ".join(f"{n.name} ({n.id})" for n in nodes)
            raise UsageError(f"--node {wanted!r}: no such node (known: {known})")
        return NodeTarget.of(found, len(nodes) == 1)

    def describe_node(self, node: NodeTarget) -> dict[str, Any]:
        return {"node": node.name, "node_id": node.id}

    def repository(self, node: NodeTarget, *, refresh: bool = False, no_cache: bool = False):
        """The node's SDR repository (cached when valid), with a progress bar on a
        terminal while a cold walk runs."""
        from chassisctl.client.sdr_cache import SdrCache
        from chassisctl.client.sensors import load_repository

        cache = None if no_cache else SdrCache()
        with state().output().progress("Reading SDR records") as bar:
            return load_repository(self.transport, node=node.selector, cache=cache, refresh=refresh,
                                   progress=bar)

    def target_text(self, node: NodeTarget) -> str:
        where = self.transport.describe()
        sim = " (simulated)" if self.transport.simulated else ""
        many = len(self.transport.nodes()) > 1
        return f"{node.name} on {where}{sim}" if many else f"{where}{sim}"


@contextlib.contextmanager
def open_session() -> Iterator[Session]:
    from chassisctl.clock import SystemClock
    from chassisctl.sim import simulator
    from chassisctl.transport import open_transport

    cli = state()
    settings = cli.settings
    clock = SystemClock()
    transport = open_transport(settings, clock=clock, tracer=cli.tracer(), simulator=simulator)
    try:
        if transport.kind == "platform":
            from chassisctl.cli.completion_values import write_node_index
            from chassisctl.platform.backend import PlatformTransport

            assert isinstance(transport, PlatformTransport)  # what kind "platform" opens
            write_node_index(transport.nodes())
        if transport.simulated:
            cli.output().notice(f"simulated chassis ({transport.describe()}); use --bus for real hardware")
        yield Session(transport, settings, clock)
    finally:
        transport.close()
