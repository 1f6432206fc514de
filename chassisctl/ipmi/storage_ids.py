"""Storage-command constants that need no codec: record IDs, sizes, timestamps.

Split from :mod:`chassisctl.ipmi.storage` (which re-exports them) so that
code keeping SEL or SDR state — e.g. the simulator loading its SEL for a
``power status`` — can name them without importing the reply classes.
"""

#: SDR and SEL command set version 51h (IPMI v1.5/v2.0): minor nibble high.
STORAGE_VERSION = 0x51
NO_TIMESTAMP = 0xFFFFFFFF
#: Record ID 0000h in Get SDR/Get SEL Entry requests: "the first record".
FIRST_RECORD = 0x0000
#: Record ID FFFFh: "the last record" in requests, "no next record" in replies.
LAST_RECORD = 0xFFFF
#: Bytes-to-read value meaning "the whole record from the offset".
READ_ALL = 0xFF
#: Every SEL record is 16 bytes.
SEL_RECORD_SIZE = 16
