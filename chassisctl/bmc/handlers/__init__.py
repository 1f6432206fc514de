"""Responder handlers, one module per netFn, imported on first use.

Each module maps command codes to module-level functions
``handler(responder, data, now) -> reply | completion code`` in a
``HANDLERS`` dict; :data:`chassisctl.bmc.responder.HANDLER_MODULES` says
which module serves which netFn.  A ``power status`` then loads only the
chassis codecs, a sensor scan only the sensor and SDR ones.

Nothing heavy is imported here: this package is on every request's path.
"""

from __future__ import annotations

from chassisctl.ipmi.decode_errors import DataLengthError


def no_data(data: bytes, what: str) -> None:
    """Commands without request data answer C7h to any."""
    if data:
        raise DataLengthError(f"{what} takes no request data")
