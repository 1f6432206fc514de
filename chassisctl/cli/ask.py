"""Ask the running ``serve`` over its control socket (for status-type commands).

The socket is ``--socket`` if given, else what the config file's
``[serve]`` says, else the default (:mod:`chassisctl.control.paths`).  The
config file is parsed only when one exists, so the common case pays no
TOML import.
"""

from __future__ import annotations

from typing import Any

SOCKET_HELP = "serve's control socket [default: [serve] socket, else /run/chassisctl/chassisctl.sock]"


def ask_serve(query: str, args: dict[str, Any] | None = None, *, socket: str | None = None,
              timeout: float = 5.0) -> Any:
    from chassisctl.cli.common import state
    from chassisctl.control.client import query as send

    section = None
    if socket is None:
        document = state().resolved().document
        section = document.get("serve") if isinstance(document.get("serve"), dict) else None
    return send(query, args, socket_path=socket, serve_section=section, timeout=timeout)
