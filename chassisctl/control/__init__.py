"""The control socket's client side: how the CLI asks a running ``serve``.

``lldp neighbors``, ``dhcp-relay status`` and ``status`` answer from the
daemon's live state, as ``lldpcli`` asks ``lldpd``.  This package is stdlib
only and light, because it runs on every such command's start-up; the
server half lives in :mod:`chassisctl.serve.control`.
"""
