"""Send raw Ethernet frames given in hex on one interface (run inside a test namespace)."""

import socket
import sys
import time

ifname, frames = sys.argv[1], sys.argv[2:]
with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as sock:
    sock.bind((ifname, 0))
    for text in frames:
        sock.send(bytes.fromhex(text))
        time.sleep(0.01)
