"""LLDP without an agent: a passive capture (``--listen``) or a capture file (``--pcap``).

Both feed the frames through the same :class:`~chassisctl.lldp.agent.Agent`
the service runs — with transmission off — so a capture applies the same
validation, TTL-0 removal and statistics as the live table; only the
source of the bytes differs.  ``--listen`` opens the same BPF-filtered
packet sockets as the service and never sends a frame.  ``--pcap`` uses
scapy's file readers (classic pcap and pcapng), imported here only.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from chassisctl.errors import NoInputError, ProtocolError, UsageError

#: The local-port name capture-file neighbours are filed under.
PCAP_PORT = "pcap"


def _passive_agent() -> Any:
    from chassisctl.lldp.agent import Agent, AgentConfig
    from chassisctl.lldp.tlv import ChassisId

    return Agent(AgentConfig(chassis_id=ChassisId(7, b"listener"), system_name="", system_description="",
                             transmit=False, max_neighbors=1024))


def _result(agent: Any, now: float, *, local_port: bool = True) -> dict[str, Any]:
    records = agent.neighbors(now)
    if not local_port:
        for r in records:
            r["local_port"] = None
    return {"neighbors": records, "departed": [], "ports": agent.ports, "local": None,
            "statistics": agent.statistics()}


def listen(seconds: float, port: str | None) -> dict[str, Any]:
    """Capture for ``seconds`` on ``port`` (or every Ethernet interface that is up)."""
    import selectors

    from chassisctl.lldp.frame import ETHERTYPE, NEAREST_BRIDGE
    from chassisctl.net import links
    from chassisctl.net.packet import close_all, open_packet_socket, receive_all

    if port is not None:
        iface = links.interface(port)
        if iface is None:
            raise UsageError(f"--port {port}: no such network interface")
        chosen = [iface]
    else:
        chosen = [i for i in links.interfaces() if i.ethernet and i.up and i.name != "lo"]
        if not chosen:
            raise UsageError("no Ethernet interface is up to listen on", hint="name one with --port")
    agent = _passive_agent()
    start = time.monotonic()
    selector = selectors.DefaultSelector()
    sockets = []
    try:
        for iface in chosen:
            sock = open_packet_socket(iface.name, ETHERTYPE, NEAREST_BRIDGE)
            sockets.append(sock)
            selector.register(sock, selectors.EVENT_READ, (iface.name, sock))
            agent.add_port(iface.name, iface.mac, start, ifindex=iface.index)
        deadline = start + seconds
        try:
            while (now := time.monotonic()) < deadline:
                timer = agent.get_timer()
                wait = deadline - now if timer is None else max(0.0, min(deadline, timer) - now)
                for key, _ in selector.select(wait):
                    now = time.monotonic()
                    name, ready = key.data
                    for frame in receive_all(ready):
                        agent.receive(name, frame, now)
                agent.handle_timer(time.monotonic())
        except KeyboardInterrupt:
            pass
    finally:
        selector.close()
        close_all(sockets)  # one by one, each close waits ~13 ms in the kernel
    return _result(agent, time.monotonic())


def _timestamp(meta: Any) -> float:
    if hasattr(meta, "usec"):
        return meta.sec + meta.usec / 1e6
    return ((meta.tshigh << 32) | meta.tslow) / (meta.tsresol or 1_000_000)


def read_pcap(path: str) -> dict[str, Any]:
    """Every LLDP neighbour a capture file shows, as of its last frame.

    Frames are replayed in order with their own timestamps, so a TTL-0
    frame removes its neighbour and entries whose TTL ran out before the
    capture ended are listed as departed, as the live agent would.
    """
    import logging

    file = Path(path)
    if not file.exists():
        raise NoInputError(f"{path}: no such file")
    if file.is_dir():
        raise UsageError(f"{path} is a directory, not a capture file")
    logging.getLogger("scapy").setLevel(logging.ERROR)
    try:
        from scapy.error import Scapy_Exception
        from scapy.utils import RawPcapReader
    except ImportError:  # pragma: no cover - scapy is a declared dependency
        raise UsageError("--pcap needs scapy (pip install scapy)") from None
    agent = _passive_agent()
    first: float | None = None
    last = 0.0
    try:
        reader = RawPcapReader(str(file))
    except (Scapy_Exception, OSError, EOFError, ValueError) as exc:
        raise ProtocolError(f"{path}: not a pcap or pcapng capture ({exc})") from None
    try:
        linktype = getattr(reader, "linktype", 1)
        if linktype not in (1, None):
            raise ProtocolError(f"{path}: link type {linktype} is not Ethernet")
        try:
            for data, meta in reader:
                ts = _timestamp(meta)
                if first is None:
                    first = ts
                    agent.add_port(PCAP_PORT, b"\x00" * 6, ts)
                if getattr(meta, "linktype", 1) not in (1, None):
                    continue
                agent.receive(PCAP_PORT, bytes(data), ts)
                agent.handle_timer(ts)
                last = ts
        except (Scapy_Exception, EOFError, ValueError, OSError) as exc:
            raise ProtocolError(f"{path}: capture file is damaged: {exc}") from None
    finally:
        reader.close()
    result = _result(agent, last, local_port=False)
    result["departed"] = agent.departed(last)
    for r in result["departed"]:
        r["local_port"] = None
    return result
