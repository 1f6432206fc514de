"""The BMC side of IPMI: answering requests instead of sending them.

Used by the simulated BMC, by "platform" backends that put a synthetic BMC
in front of plain I2C devices, and by ``serve`` for what an I2C BMC lacks.
Sans-I/O like :mod:`chassisctl.ipmi`: time arrives as a ``now`` argument.

* :mod:`~chassisctl.bmc.bmc_model` — :class:`BmcModel`, the questions a
  responder asks of what it manages, and :class:`BaseModel` with defaults;
* :mod:`~chassisctl.bmc.sdr_repository` — SDR records, reservations and
  partial reads;
* :mod:`~chassisctl.bmc.sel_store` — the System Event Log, persistable;
* :mod:`~chassisctl.bmc.responder` — :class:`Responder`, the dispatch table
  from (netFn, cmd) to handlers.

Nothing is imported here, so importing one module stays cheap.
"""
