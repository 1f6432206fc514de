"""Sans-I/O IPMI-over-LAN endpoint (RMCP, IPMI 1.5 sessions, RMCP+).

``LanServer`` (``server.py``) is the state machine: datagrams in, datagrams
and events out, time as an argument.  ``config.py`` holds ``LanConfig``
(read from TOML by ``chassisctl.serve.lan_settings``), ``events.py`` the events, ``sessions.py`` the session table,
windows and limiter, ``channel.py`` the channel/user/LAN-parameter answers.
The asyncio edge is ``chassisctl.serve.ipmi_lan``.
"""

from chassisctl.ipmi.lan.config import (
    LanConfig,
    LanUser,
    config_warnings,
)
from chassisctl.ipmi.lan.events import (
    Event,
    Refused,
    RefusalReason,
    RequestReceived,
    SessionClosed,
    SessionOpened,
)
from chassisctl.ipmi.lan.server import LanServer

__all__ = [
    "Event",
    "LanConfig",
    "LanServer",
    "LanUser",
    "Refused",
    "RefusalReason",
    "RequestReceived",
    "SessionClosed",
    "SessionOpened",
    "config_warnings",
]
