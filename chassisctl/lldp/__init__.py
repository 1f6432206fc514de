"""IEEE 802.1AB (LLDP), sans-I/O: the LLDPDU codec and the agent's state machine.

Nothing here opens a socket, reads a clock or sleeps: frames come in as
bytes with the time they arrived (``now``), frames to send go out as bytes,
and timers are exposed as ``get_timer()`` / ``handle_timer(now)``.  The
socket edge is :mod:`chassisctl.serve.lldp` (AF_PACKET sockets from
:mod:`chassisctl.net.packet`); the CLI renders the records of
:mod:`chassisctl.lldp.records`.

* :mod:`~chassisctl.lldp.tlv` — basic TLVs and the LLDPDU walk (802.1AB-2016 §8);
* :mod:`~chassisctl.lldp.org` — organizationally specific TLVs (802.1 Annex D,
  802.3 Clause 79, LLDP-MED ANSI/TIA-1057);
* :mod:`~chassisctl.lldp.frame` — the Ethernet frame around an LLDPDU;
* :mod:`~chassisctl.lldp.names` — subtype and capability words for output;
* :mod:`~chassisctl.lldp.records` — one flat JSON record per neighbour;
* :mod:`~chassisctl.lldp.agent` — remote-systems table, ageing, transmit timers, statistics.
"""
