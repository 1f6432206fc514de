"""Operations an operator asks for, written once over the Transport interface.

``power``, ``sensors`` (with the SDR walk and its cache) and ``info`` are
used by the CLI and by ``serve`` alike; they know IPMI, not argv or sockets.
"""
