"""Where the control socket lives, decided the same way by serve and the CLI.

Precedence: ``--socket`` > ``[serve] socket`` > ``[serve] runtime_dir`` >
``$RUNTIME_DIRECTORY`` (set by systemd's ``RuntimeDirectory=``) >
``/run/chassisctl``; the socket is ``chassisctl.sock`` in that directory.
When nothing names a place and ``/run/chassisctl`` cannot be created (serve
started by an ordinary user on a laptop), ``$XDG_RUNTIME_DIR/chassisctl``
is the fallback, and the CLI looks there too.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from collections.abc import Mapping

SOCKET_NAME = "chassisctl.sock"
DEFAULT_RUNTIME_DIR = Path("/run/chassisctl")


def runtime_dirs(serve_section: Mapping[str, Any] | None = None,
                 env: Mapping[str, str] | None = None) -> list[Path]:
    """serve's runtime directory, then its fallback when none was named."""
    env = os.environ if env is None else env
    section = serve_section or {}
    for candidate in (section.get("runtime_dir"), env.get("RUNTIME_DIRECTORY")):
        if candidate:
            # systemd passes several directories separated by ':'; ours is the first.
            return [Path(str(candidate).split(":")[0])]
    dirs = [DEFAULT_RUNTIME_DIR]
    if env.get("XDG_RUNTIME_DIR"):
        dirs.append(Path(env["XDG_RUNTIME_DIR"]) / "chassisctl")
    return dirs


def socket_paths(flag: str | os.PathLike[str] | None = None,
                 serve_section: Mapping[str, Any] | None = None,
                 env: Mapping[str, str] | None = None) -> list[Path]:
    """Where serve may bind the socket, in order of preference."""
    if flag:
        return [Path(flag)]
    section = serve_section or {}
    if section.get("socket"):
        return [Path(str(section["socket"]))]
    return [d / SOCKET_NAME for d in runtime_dirs(section, env)]


def socket_path(flag: str | os.PathLike[str] | None = None,
                serve_section: Mapping[str, Any] | None = None,
                env: Mapping[str, str] | None = None) -> Path:
    """Where a client finds serve: the first candidate that exists, else the first."""
    paths = socket_paths(flag, serve_section, env)
    return next((p for p in paths if p.exists()), paths[0])
