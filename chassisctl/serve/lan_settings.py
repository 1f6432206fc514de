"""``[ipmi]`` of chassisctl.toml turned into a :class:`LanConfig` (the I/O edge).

Types, ranges and key names come from the one schema
(:data:`chassisctl.config.schema.IPMI`, checked first, so a value here is
already of its declared type and the defaults are the declared ones); this
module adds what a table cannot say: suites that exist, "none" and suite 0
only when explicitly allowed, per-user and per-address caps within the
table size, and the secrets.  Reading password and K_G files, and refusing
a file others may read, happens here rather than in the sans-I/O
:mod:`chassisctl.ipmi.lan` package.
"""

from __future__ import annotations

import ipaddress
import os
import stat
from typing import Any
from collections.abc import Mapping

from chassisctl.config.keys import listen_parts
from chassisctl.errors import ConfigError
from chassisctl.ipmi.codes import Privilege
from chassisctl.ipmi.lan.config import AUTH15_CODES, IP_SOURCES, LanConfig, LanUser

_PRIVILEGES = {"user": Privilege.USER, "operator": Privilege.OPERATOR, "administrator": Privilege.ADMINISTRATOR}
#: Largest password / Kg file read (a password is at most 20 bytes, Kg 40 hex digits).
SECRET_FILE_LIMIT = 4096


def check_secret_file_mode(path: str) -> None:
    """Refuse a file holding secrets that group or others may read or write."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}") from exc
    if stat.S_IMODE(st.st_mode) & 0o077:
        raise ConfigError(f"{path} holds IPMI secrets but has mode {stat.S_IMODE(st.st_mode):04o}",
                          hint=f"chmod 600 {path}")


def _read_secret_file(path: str, key: str) -> bytes:
    from chassisctl.fileio import read_capped

    check_secret_file_mode(path)
    try:
        return read_capped(path, f"{key}:", ConfigError, limit=SECRET_FILE_LIMIT).rstrip(b"\r\n")
    except OSError as exc:
        raise ConfigError(f"{key}: cannot read {path}: {exc.strerror}") from exc


def lan_config_from_toml(doc: Mapping[str, Any], source_path: str | None = None) -> LanConfig:
    """The ``[ipmi]`` table of a parsed document as a :class:`LanConfig`; ConfigError naming the key."""
    from chassisctl.config.schema import FILE, IPMI
    from chassisctl.config.validate import check_document
    from chassisctl.ipmi.rmcpplus import CIPHER_SUITES

    check_document({"ipmi": doc.get("ipmi", {})}, source_path or "[ipmi]", keys={"ipmi": FILE["ipmi"]})
    section: Mapping[str, Any] = doc.get("ipmi", {})

    def get(key: str) -> Any:
        return section.get(key, IPMI[key].default)

    host, port = listen_parts(get("listen"), "ipmi.listen")
    suites: list[int] = get("cipher_suites")
    for suite in suites:
        if suite not in CIPHER_SUITES:
            raise ConfigError(f"ipmi.cipher_suites: suite {suite} is not implemented "
                              f"(choose from {sorted(CIPHER_SUITES)})")
        if suite == 0 and not get("allow_cipher_suite_0"):
            raise ConfigError("ipmi.cipher_suites: suite 0 (no authentication) needs allow_cipher_suite_0 = true")
    if len(set(suites)) != len(suites) or len(suites) > 16:
        raise ConfigError("ipmi.cipher_suites: duplicate suites or more than 16")
    auth15: list[str] = get("ipmi15_auth_types")
    if "none" in auth15 and not get("allow_ipmi15_auth_none"):
        raise ConfigError('ipmi.ipmi15_auth_types: "none" needs allow_ipmi15_auth_none = true')
    max_sessions: int = get("max_sessions")
    users, inline_password = _users(section.get("users", []), get("allow_anonymous"))
    if (inline_password or "kg" in section) and source_path is not None:
        check_secret_file_mode(source_path)
    address = section.get("ip_address", host if ":" not in host else "0.0.0.0")
    return LanConfig(
        host=host, port=port, cipher_suites=tuple(suites), allow_anonymous=get("allow_anonymous"),
        ipmi15_auth_types=tuple(AUTH15_CODES[a] for a in auth15), kg=_kg(section),
        session_timeout=float(get("session_timeout")), handshake_timeout=float(get("handshake_timeout")),
        max_sessions=max_sessions,
        max_sessions_per_user=_share(section, "max_sessions_per_user", max_sessions),
        max_sessions_per_address=_share(section, "max_sessions_per_address", max_sessions),
        login_failures_burst=get("login_failures_burst"),
        login_failures_per_minute=float(get("login_failures_per_minute")), users=tuple(users),
        ip_address=_ipv4(address, "ip_address"), subnet_mask=_ipv4(get("subnet_mask"), "subnet_mask"),
        default_gateway=_ipv4(get("default_gateway"), "default_gateway"), mac_address=_mac(get("mac_address")),
        ip_source=IP_SOURCES[get("ip_source")], interface=_interface(section.get("interface")))


def _ipv4(value: str, key: str) -> str:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        raise ConfigError(f"ipmi.{key}: not an IPv4 address: {value!r}") from None
    return value


def _mac(value: str) -> bytes:
    try:
        mac = bytes.fromhex(value.replace(":", "").replace("-", ""))
    except ValueError:
        mac = b""
    if len(mac) != 6:
        raise ConfigError(f"ipmi.mac_address: expected aa:bb:cc:dd:ee:ff, got {value!r}")
    return mac


def _kg(section: Mapping[str, Any]) -> bytes | None:
    """The BMC key K_G from ``kg`` (inline hex) or ``kg_file``; None when neither is given."""
    if "kg" in section and "kg_file" in section:
        raise ConfigError("ipmi.kg and ipmi.kg_file: give only one")
    if "kg" in section:
        text: str = section["kg"]
    elif "kg_file" in section:
        text = _read_secret_file(section["kg_file"], "ipmi.kg_file").decode("ascii", "replace")
    else:
        return None
    try:
        kg = bytes.fromhex(text.strip().removeprefix("0x"))
    except ValueError:
        raise ConfigError("ipmi.kg: expected hexadecimal digits") from None
    if not 1 <= len(kg) <= 20:
        raise ConfigError("ipmi.kg: the BMC key is 1 to 20 bytes")
    return kg


def _users(tables: list[Mapping[str, Any]], allow_anon: bool) -> tuple[list[LanUser], bool]:
    """The ``[[ipmi.users]]`` tables, and whether any password is written inline."""
    from chassisctl.config.schema import IPMI_USER

    users: list[LanUser] = []
    inline = False
    next_id = 2
    seen: set[str] = set()
    for i, u in enumerate(tables):
        where = f"ipmi.users[{i}]"
        name: str = u["name"]
        if len(name.encode()) > 16:
            raise ConfigError(f"{where}.name: expected a string of at most 16 bytes")
        if name in seen:
            raise ConfigError(f"{where}.name: duplicate user {name!r}")
        seen.add(name)
        if ("password" in u) == ("password_file" in u):
            raise ConfigError(f"{where}: give exactly one of password or password_file")
        if "password" in u:
            password = u["password"].encode()
            inline = True
        else:
            password = _read_secret_file(u["password_file"], f"{where}.password_file")
        if len(password) > 20:
            raise ConfigError(f"{where}.password: IPMI passwords are at most 20 bytes")
        if name == "":
            if not allow_anon:
                raise ConfigError(f"{where}.name: the null user needs allow_anonymous = true")
            uid = 1
        else:
            uid = next_id
            next_id += 1
        if not password and not u.get("allow_empty_password", IPMI_USER["allow_empty_password"].default):
            raise ConfigError(f"{where}: user {name!r} has an empty password: anyone who knows the name logs in",
                              hint="set a password, or allow_empty_password = true in this user's table")
        privilege = u.get("privilege", IPMI_USER["privilege"].default)
        users.append(LanUser(uid, name, password, _PRIVILEGES[privilege], u.get("enabled", True)))
    if next_id > 63:
        raise ConfigError("ipmi.users: at most 62 users")
    return users, inline


def _share(section: Mapping[str, Any], key: str, max_sessions: int) -> int:
    """A per-user / per-address session limit: 1..max_sessions, half the table by default."""
    value: int = section.get(key, max(1, max_sessions // 2))
    if not 1 <= value <= max_sessions:
        raise ConfigError(f"ipmi.{key}: expected 1..max_sessions ({max_sessions}), got {value}")
    return value


def _interface(name: str | None) -> str | None:
    if name is not None and (not 1 <= len(name) <= 15 or "/" in name or name.strip() != name):
        raise ConfigError(f"ipmi.interface: expected a network interface name, got {name!r}")
    return name
