"""serve's logging: stderr only, journald-aware, one line per event.

Under systemd (``JOURNAL_STREAM`` names our stderr) lines carry ``<N>``
syslog priority prefixes and no timestamps — journald adds its own;
elsewhere they are timestamped text, or JSON objects with ``--log-format
json`` for log shippers.  No log files, no syslog socket.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Mapping

_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}


def under_journald(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    stream = env.get("JOURNAL_STREAM")
    if not stream:
        return False
    try:
        dev, ino = (int(x) for x in stream.split(":"))
        st = os.fstat(sys.stderr.fileno())
    except (ValueError, OSError):
        return False
    return (st.st_dev, st.st_ino) == (dev, ino)


class _Journald(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"<{_PRIORITY.get(record.levelno, 6)}>{record.getMessage()}"


class _Json(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
                           "level": record.levelname.lower(), "logger": record.name,
                           "message": record.getMessage()})


def setup(level: int = logging.INFO, fmt: str = "text") -> logging.Logger:
    logger = logging.getLogger("chassisctl")
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(_Json())
    elif under_journald():
        handler.setFormatter(_Journald())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%S"))
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False
    return logger
