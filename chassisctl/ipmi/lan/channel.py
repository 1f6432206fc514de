"""The LAN channel's own commands: answers computed from the configuration.

These describe the channel ``serve`` provides (not the I2C BMC behind it):
authentication capabilities, cipher suites, channel info/access, the user
table and LAN configuration parameters.  Each handler takes the config and
the request data and returns ``(completion code, response data)``.

Choices worth knowing:

* Channel number 1 is the LAN channel; 0Eh ("this channel") means it too.
* Get Channel Info reports vendor ID 7154 (00 1B F2h): IPMI v2.0 table 22-28
  says the field holds the IANA number of the body that defined the channel
  protocol, and for IPMI-defined protocols (IPMB-1.0 here) that is the IPMI
  forum's number, 7154.
* User IDs: 1 is the null (anonymous) user with an empty fixed name, present
  even when disabled, as the spec and ``ipmitool user list`` expect; the
  configured users follow from 2 on.
* The user table, channel access and LAN parameters are configured in TOML,
  so the Set commands answer D6h ("sub-function disabled") instead of
  changing state that a restart would lose.  Set User Password's "test
  password" operation works (80h on mismatch).
"""

from __future__ import annotations

import hmac
import ipaddress
import struct

from chassisctl.ipmi.codes import CompletionCode as CC
from chassisctl.ipmi.codes import Privilege
from chassisctl.ipmi.lan.config import LanConfig
from chassisctl.ipmi.rmcpplus import CIPHER_SUITES

THIS_CHANNEL = 0x0E
MEDIUM_802_3_LAN = 0x04
PROTOCOL_IPMB_1_0 = 0x01
SESSION_MULTI = 0x80
IPMI_IANA = b"\xf2\x1b\x00"  # 7154, LS byte first
LAN_PARAMETER_REVISION = 0x11
PARAMETER_NOT_SUPPORTED = 0x80

Reply = tuple[int, bytes]


def _channel_ok(config: LanConfig, byte: int) -> bool:
    return (byte & 0x0F) in (THIS_CHANNEL, config.channel)


def auth_capabilities(config: LanConfig, data: bytes) -> Reply:
    """Get Channel Authentication Capabilities (App 38h)."""
    if len(data) < 2:
        return CC.REQUEST_DATA_LENGTH_INVALID, b""
    if not _channel_ok(config, data[0]) or not 1 <= data[1] & 0x0F <= 5:
        return CC.INVALID_DATA_FIELD, b""
    v20 = bool(data[0] & 0x80)
    support = 0
    for auth in config.ipmi15_auth_types:
        support |= 1 << auth
    if v20 and config.cipher_suites:
        support |= 0x80
    enabled = [u for u in config.users if u.enabled]
    status = 0
    if config.kg is not None:
        status |= 0x20
    if any(u.name for u in enabled):
        status |= 0x04
    null = [u for u in enabled if not u.name] if config.allow_anonymous else []
    if null:
        status |= 0x02
        if not null[0].password:
            status |= 0x01
    ext = 0
    if v20:
        ext = (0x02 if config.cipher_suites else 0) | (0x01 if config.ipmi15_auth_types else 0)
    return CC.OK, bytes((config.channel, support, status, ext, 0, 0, 0, 0))


def suite_records(config: LanConfig) -> bytes:
    return b"".join(CIPHER_SUITES[s].record for s in config.cipher_suites)


def cipher_suites(config: LanConfig, data: bytes) -> Reply:
    """Get Channel Cipher Suites (App 54h): 16-byte pages of suite records."""
    if len(data) < 3:
        return CC.REQUEST_DATA_LENGTH_INVALID, b""
    if not _channel_ok(config, data[0]) or data[1] & 0x3F > 1:
        return CC.INVALID_DATA_FIELD, b""
    if data[2] & 0x80:
        records = suite_records(config)
    else:  # "list supported algorithms": one byte per distinct algorithm
        algs: list[int] = []
        for s in config.cipher_suites:
            suite = CIPHER_SUITES[s]
            for b in (suite.auth, 0x40 | suite.integrity, 0x80 | suite.confidentiality):
                if b not in algs:
                    algs.append(b)
        records = bytes(algs)
    index = data[2] & 0x3F
    return CC.OK, bytes((config.channel,)) + records[index * 16 : index * 16 + 16]


def channel_info(config: LanConfig, data: bytes, active_sessions: int) -> Reply:
    """Get Channel Info (App 42h), for the LAN channel only."""
    if len(data) < 1:
        return CC.REQUEST_DATA_LENGTH_INVALID, b""
    if not _channel_ok(config, data[0]):
        return CC.INVALID_DATA_FIELD, b""
    return CC.OK, bytes(
        (config.channel, MEDIUM_802_3_LAN, PROTOCOL_IPMB_1_0, SESSION_MULTI | (active_sessions & 0x3F))
    ) + IPMI_IANA + b"\x00\x00"


def channel_access(config: LanConfig, data: bytes) -> Reply:
    """Get Channel Access (App 41h): always available, per-message and
    user-level authentication on, PEF alerting off (we send no alerts)."""
    if len(data) < 2:
        return CC.REQUEST_DATA_LENGTH_INVALID, b""
    if not _channel_ok(config, data[0]) or data[1] & 0xC0 not in (0x40, 0x80):
        return CC.INVALID_DATA_FIELD, b""
    return CC.OK, bytes((0x22, Privilege.ADMINISTRATOR))


def _max_user_id(config: LanConfig) -> int:
    return max(2, config.max_user_id)


def user_access(config: LanConfig, data: bytes) -> Reply:
    """Get User Access (App 44h)."""
    if len(data) < 2:
        return CC.REQUEST_DATA_LENGTH_INVALID, b""
    uid = data[1] & 0x3F
    if not _channel_ok(config, data[0]) or not 1 <= uid <= _max_user_id(config):
        return CC.INVALID_DATA_FIELD, b""
    enabled_count = sum(1 for u in config.users if u.enabled)
    user = next((u for u in config.users if u.user_id == uid), None)
    if user is None:
        status, access = 0x00, 0x0F  # empty slot: no access
    elif user.enabled:
        status, access = 0x40, 0x30 | user.privilege  # link auth + IPMI messaging
    else:
        status, access = 0x80, 0x0F
    return CC.OK, bytes((_max_user_id(config), status | enabled_count, 1, access))


def user_name(config: LanConfig, data: bytes) -> Reply:
    """Get User Name (App 46h): 16 bytes, NUL padded."""
    if len(data) < 1:
        return CC.REQUEST_DATA_LENGTH_INVALID, b""
    uid = data[0] & 0x3F
    if not 1 <= uid <= _max_user_id(config):
        return CC.INVALID_DATA_FIELD, b""
    user = next((u for u in config.users if u.user_id == uid), None)
    name = user.name.encode() if user else b""
    return CC.OK, name.ljust(16, b"\0")


def set_user_password(config: LanConfig, data: bytes) -> Reply:
    """Set User Password (App 47h): only the "test password" operation."""
    if len(data) < 2:
        return CC.REQUEST_DATA_LENGTH_INVALID, b""
    if data[1] & 0x03 != 0x02:
        return CC.SUBFUNCTION_DISABLED, b""
    size = 20 if data[0] & 0x80 else 16
    if len(data) != 2 + size:
        return CC.REQUEST_DATA_LENGTH_INVALID, b""
    user = next((u for u in config.users if u.user_id == data[0] & 0x3F), None)
    if user is None:
        return CC.INVALID_DATA_FIELD, b""
    ok = hmac.compare_digest(user.password.ljust(size, b"\0"), data[2:])
    return (CC.OK if ok else 0x80), b""


def _ip(text: str) -> bytes:
    return ipaddress.IPv4Address(text).packed


def _lan_parameters(config: LanConfig) -> dict[int, bytes]:
    auth = 0
    for a in config.ipmi15_auth_types:
        auth |= 1 << a
    suites = list(config.cipher_suites)
    privs = bytearray(8)
    for i in range(len(suites)):
        privs[i // 2] |= Privilege.ADMINISTRATOR << (4 * (i % 2))
    return {
        0: b"\x00",  # set complete
        1: bytes((auth,)),
        2: bytes((auth,)) * 5,
        3: _ip(config.ip_address),
        4: bytes((config.ip_source,)),
        5: config.mac_address,
        6: _ip(config.subnet_mask),
        7: b"\x40\x40\x10",  # TTL 64, don't fragment, TOS 10h
        8: struct.pack("<H", config.port),
        10: b"\x00",  # no BMC-generated ARPs
        11: b"\x00",
        12: _ip(config.default_gateway),
        13: bytes(6),
        14: bytes(4),
        15: bytes(6),
        16: b"public".ljust(18, b"\0"),
        17: b"\x00",  # no alert destinations
        20: b"\x00\x00",  # 802.1q VLAN disabled
        21: b"\x00",
        22: bytes((len(suites),)),
        23: b"\x00" + bytes(suites),
        24: b"\x00" + bytes(privs),
    }


def lan_parameter(config: LanConfig, data: bytes, cache: dict[int, bytes] | None = None) -> Reply:
    """Get LAN Configuration Parameters (Transport 02h)."""
    if len(data) < 4:
        return CC.REQUEST_DATA_LENGTH_INVALID, b""
    if not _channel_ok(config, data[0]):
        return CC.INVALID_DATA_FIELD, b""
    rev = bytes((LAN_PARAMETER_REVISION,))
    if data[0] & 0x80:
        return CC.OK, rev
    params = cache if cache is not None else _lan_parameters(config)
    value = params.get(data[1])
    if value is None:
        return PARAMETER_NOT_SUPPORTED, b""
    return CC.OK, rev + value


def lan_parameters_table(config: LanConfig) -> dict[int, bytes]:
    return _lan_parameters(config)
