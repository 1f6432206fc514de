"""Platform descriptions: non-IPMI I2C devices presented as a synthetic BMC.

``description`` loads and validates the TOML format (``docs/platform.md``),
``backend`` answers IPMI by translation (:class:`PlatformTransport`), ``sim``
puts the description on simulated devices, ``drivers`` is the per-family I/O
layer.  Only :func:`node_endpoints` lives at package level (for ``serve``);
everything else is imported from its module, so importing this package
costs nothing.
"""

from __future__ import annotations


TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def node_endpoints(document: Any, path: object = None) -> list[tuple[str, str, int]]:
    """``[(node name, host, port), ...]`` from the config's ``[[nodes]]`` tables."""
    from chassisctl.platform.endpoints import node_endpoints as parse

    return parse(document, path)
