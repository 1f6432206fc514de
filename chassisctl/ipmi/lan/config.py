"""Configuration of the IPMI-over-LAN endpoint, and its TOML reader.

``[ipmi]`` keys (all optional)::

    enabled = true                  # false: serve opens no BMC (LLDP or a relay only)
    listen = "0.0.0.0:623"          # "ADDR:PORT" or "[v6addr]:PORT"
    cipher_suites = [17, 3]         # offered in this order; 1, 2, 15, 16 allowed too
    allow_cipher_suite_0 = false    # suite 0 (no authentication) needs this too
    allow_anonymous = false         # the null user (user ID 1, name "")
    ipmi15_auth_types = ["md5"]     # "md5", "password"; "none" needs allow_ipmi15_auth_none
    allow_ipmi15_auth_none = false
    kg = "hex"  |  kg_file = "path" # BMC key (Kg), up to 20 bytes
    session_timeout = 60            # seconds idle before a session is reaped
    handshake_timeout = 3           # seconds a half-open login may take
    max_sessions = 15
    max_sessions_per_user = 7       # default: half of max_sessions (at least 1)
    max_sessions_per_address = 7    # ... per source IP (IPv6: per /64)
    login_failures_burst = 10       # failed logins per source IP before it is
    login_failures_per_minute = 10  # ... throttled, and the refill rate
    ip_address / subnet_mask / default_gateway = "a.b.c.d"
    mac_address = "aa:bb:cc:dd:ee:ff"; ip_source = "static"|"dhcp"|"bios"|"other"

    [[ipmi.users]]
    name = "admin"
    password = "..."  |  password_file = "/etc/chassisctl/ipmi-admin.pass"
    privilege = "administrator"     # "user" | "operator" | "administrator"
    enabled = true
    allow_empty_password = false    # an empty password refuses to start without it

Defaults are the secure choice: only suites 17 and 3 (both with integrity
and AES), MD5 for IPMI 1.5, no anonymous login, no empty password.  What
an operator may still enable on purpose (suite 0, IPMI 1.5 auth "none",
an empty password...) is listed by :func:`config_warnings`, which ``serve``
logs at start-up and a config checker can reuse.  Files holding secrets
(``password_file``, ``kg_file``, and the config file itself when it holds an
inline ``password`` or ``kg``) must not be readable by group or others.
"""

from __future__ import annotations

import ipaddress
import os
import stat
from dataclasses import dataclass, field

from chassisctl.errors import ConfigError
from chassisctl.ipmi.codes import Privilege
from chassisctl.ipmi.rmcpplus import CIPHER_SUITES

DEFAULT_PORT = 623
DEFAULT_CIPHER_SUITES = (17, 3)
_PRIVILEGES = {"user": Privilege.USER, "operator": Privilege.OPERATOR, "administrator": Privilege.ADMINISTRATOR}
_IP_SOURCES = {"unspecified": 0, "static": 1, "dhcp": 2, "bios": 3, "other": 4}
_AUTH15 = {"none": 0x00, "md5": 0x02, "password": 0x04}


@dataclass(frozen=True, slots=True)
class LanUser:
    #: User ID as Get User Access/Name report it (1 = the null user).
    user_id: int
    name: str
    password: bytes
    privilege: Privilege
    enabled: bool = True

    def __repr__(self) -> str:  # never print the password
        return f"LanUser({self.user_id}, {self.name!r}, {self.privilege.name}, enabled={self.enabled})"


@dataclass(frozen=True, slots=True)
class LanConfig:
    host: str = "0.0.0.0"
    port: int = DEFAULT_PORT
    cipher_suites: tuple[int, ...] = DEFAULT_CIPHER_SUITES
    allow_anonymous: bool = False
    #: IPMI 1.5 auth type codes enabled (00 none, 02 MD5, 04 straight password).
    ipmi15_auth_types: tuple[int, ...] = (0x02,)
    kg: bytes | None = field(default=None, repr=False)
    session_timeout: float = 60.0
    handshake_timeout: float = 3.0
    max_sessions: int = 15
    #: Sessions one user name / one source may hold at once (half the table by default).
    max_sessions_per_user: int = 7
    max_sessions_per_address: int = 7
    login_failures_burst: int = 10
    login_failures_per_minute: float = 10.0
    users: tuple[LanUser, ...] = ()
    channel: int = 1
    ip_address: str = "0.0.0.0"
    subnet_mask: str = "0.0.0.0"
    default_gateway: str = "0.0.0.0"
    mac_address: bytes = bytes(6)
    ip_source: int = 1
    #: Network interface the socket is bound to (SO_BINDTODEVICE), e.g. the
    #: management port; None = every interface the address is reachable on.
    interface: str | None = None

    def user_by_name(self, name: bytes) -> LanUser | None:
        for user in self.users:
            if user.name.encode() == name:
                return user
        return None

    @property
    def max_user_id(self) -> int:
        return max([1] + [u.user_id for u in self.users])

    @property
    def highest_privilege(self) -> Privilege:
        """The highest level any enabled user can reach (User if nobody)."""
        levels = [u.privilege for u in self.users if u.enabled]
        return max(levels) if levels else Privilege.USER


def check_secret_file_mode(path: str) -> None:
    """Refuse a file holding secrets that group or others may read or write."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}") from exc
    if stat.S_IMODE(st.st_mode) & 0o077:
        raise ConfigError(
            f"{path} holds IPMI secrets but has mode {stat.S_IMODE(st.st_mode):04o}",
            hint=f"chmod 600 {path}",
        )


#: Largest password / Kg file read (a password is at most 20 bytes, Kg 40 hex digits).
SECRET_FILE_LIMIT = 4096


def _read_secret_file(path: str, key: str) -> bytes:
    from chassisctl.fileio import read_capped

    check_secret_file_mode(path)
    try:
        return read_capped(path, f"{key}:", ConfigError, limit=SECRET_FILE_LIMIT).rstrip(b"\r\n")
    except OSError as exc:
        raise ConfigError(f"{key}: cannot read {path}: {exc.strerror}") from exc


def parse_listen(value: object, key: str = "ipmi.listen") -> tuple[str, int]:
    if not isinstance(value, str):
        raise ConfigError(f"{key}: expected \"ADDR:PORT\", got {value!r}")
    if value.startswith("["):
        host, sep, port = value[1:].partition("]:")
    else:
        host, sep, port = value.rpartition(":")
    try:
        ipaddress.ip_address(host)
        port_n = int(port)
    except ValueError:
        raise ConfigError(f"{key}: expected \"ADDR:PORT\" (IPv6 as \"[ADDR]:PORT\"), got {value!r}") from None
    if not sep or not 0 <= port_n <= 65535:
        raise ConfigError(f"{key}: port out of range in {value!r}")
    return host, port_n


def _typed(section: dict, key: str, types: type | tuple[type, ...], default: object) -> object:
    value = section.get(key, default)
    allowed = types if isinstance(types, tuple) else (types,)
    if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
        names = " or ".join(t.__name__ for t in allowed)
        raise ConfigError(f"ipmi.{key}: expected {names}, got {value!r}")
    return value


def _ipv4(section: dict, key: str) -> str:
    value = _typed(section, key, str, "0.0.0.0")
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        raise ConfigError(f"ipmi.{key}: not an IPv4 address: {value!r}") from None
    return value  # type: ignore[return-value]


def _mac(section: dict) -> bytes:
    value = _typed(section, "mac_address", str, "00:00:00:00:00:00")
    try:
        mac = bytes.fromhex(value.replace(":", "").replace("-", ""))  # type: ignore[union-attr]
    except ValueError:
        mac = b""
    if len(mac) != 6:
        raise ConfigError(f"ipmi.mac_address: expected aa:bb:cc:dd:ee:ff, got {value!r}")
    return mac


def _cipher_suites(section: dict) -> list[int]:
    allow0 = _typed(section, "allow_cipher_suite_0", bool, False)
    suites = section.get("cipher_suites", list(DEFAULT_CIPHER_SUITES))
    if not isinstance(suites, list) or not all(isinstance(s, int) and not isinstance(s, bool) for s in suites):
        raise ConfigError(f"ipmi.cipher_suites: expected a list of suite numbers, got {suites!r}")
    for s in suites:
        if s not in CIPHER_SUITES:
            raise ConfigError(f"ipmi.cipher_suites: suite {s} is not implemented "
                              f"(choose from {sorted(CIPHER_SUITES)})")
        if s == 0 and not allow0:
            raise ConfigError("ipmi.cipher_suites: suite 0 (no authentication) needs allow_cipher_suite_0 = true")
    if len(set(suites)) != len(suites) or len(suites) > 16:
        raise ConfigError("ipmi.cipher_suites: duplicate suites or more than 16")
    return suites


def _kg(section: dict) -> bytes | None:
    """The BMC key K_G from ``kg`` (inline hex) or ``kg_file``; None when neither is given."""
    if "kg" in section and "kg_file" in section:
        raise ConfigError("ipmi.kg and ipmi.kg_file: give only one")
    if "kg" in section:
        text = _typed(section, "kg", str, "")
    elif "kg_file" in section:
        text = _read_secret_file(_typed(section, "kg_file", str, ""), "ipmi.kg_file").decode("ascii", "replace")  # type: ignore[arg-type]
    else:
        return None
    try:
        kg = bytes.fromhex(text.strip().removeprefix("0x"))  # type: ignore[union-attr]
    except ValueError:
        raise ConfigError("ipmi.kg: expected hexadecimal digits") from None
    if not 1 <= len(kg) <= 20:
        raise ConfigError("ipmi.kg: the BMC key is 1 to 20 bytes")
    return kg


def _users(users_doc: list, allow_anon: bool) -> tuple[list[LanUser], bool]:
    """The ``[[ipmi.users]]`` tables, and whether any password is written inline."""
    if not isinstance(users_doc, list):
        raise ConfigError("ipmi.users: expected an array of tables ([[ipmi.users]])")
    users: list[LanUser] = []
    inline = False
    next_id = 2
    seen: set[str] = set()
    for i, u in enumerate(users_doc):
        where = f"ipmi.users[{i}]"
        if not isinstance(u, dict):
            raise ConfigError(f"{where}: expected a table")
        for key in u:
            if key not in ("name", "password", "password_file", "privilege", "enabled", "allow_empty_password"):
                raise ConfigError(f"{where}.{key}: unknown key")
        name = u.get("name")
        if not isinstance(name, str) or len(name.encode()) > 16:
            raise ConfigError(f"{where}.name: expected a string of at most 16 bytes")
        if name in seen:
            raise ConfigError(f"{where}.name: duplicate user {name!r}")
        seen.add(name)
        if ("password" in u) == ("password_file" in u):
            raise ConfigError(f"{where}: give exactly one of password or password_file")
        if "password" in u:
            if not isinstance(u["password"], str):
                raise ConfigError(f"{where}.password: expected a string")
            password = u["password"].encode()
            inline = True
        else:
            if not isinstance(u["password_file"], str):
                raise ConfigError(f"{where}.password_file: expected a path")
            password = _read_secret_file(u["password_file"], f"{where}.password_file")
        if len(password) > 20:
            raise ConfigError(f"{where}.password: IPMI passwords are at most 20 bytes")
        priv = u.get("privilege", "user")
        if priv not in _PRIVILEGES:
            raise ConfigError(f"{where}.privilege: expected one of {list(_PRIVILEGES)}, got {priv!r}")
        enabled = u.get("enabled", True)
        if not isinstance(enabled, bool):
            raise ConfigError(f"{where}.enabled: expected true or false")
        if name == "":
            if not allow_anon:
                raise ConfigError(f"{where}.name: the null user needs allow_anonymous = true")
            uid = 1
        else:
            uid = next_id
            next_id += 1
        allow_empty = u.get("allow_empty_password", False)
        if not isinstance(allow_empty, bool):
            raise ConfigError(f"{where}.allow_empty_password: expected true or false")
        if not password and not allow_empty:
            raise ConfigError(f"{where}: user {name!r} has an empty password: anyone who knows the name logs in",
                              hint="set a password, or allow_empty_password = true in this user's table")
        users.append(LanUser(uid, name, password, _PRIVILEGES[priv], enabled))
    if next_id > 63:
        raise ConfigError("ipmi.users: at most 62 users")
    return users, inline


def lan_config_from_toml(doc: dict, source_path: str | None = None) -> LanConfig:
    """Build a :class:`LanConfig` from a parsed TOML document (its ``[ipmi]`` table)."""
    section = doc.get("ipmi", {})
    if not isinstance(section, dict):
        raise ConfigError("ipmi: expected a table")
    known = {
        "listen", "cipher_suites", "allow_cipher_suite_0", "allow_anonymous", "ipmi15_auth_types",
        "allow_ipmi15_auth_none", "kg", "kg_file", "session_timeout", "handshake_timeout", "max_sessions",
        "max_sessions_per_user", "max_sessions_per_address",
        "login_failures_burst", "login_failures_per_minute", "ip_address", "subnet_mask", "default_gateway",
        "mac_address", "ip_source", "users", "interface",
        "enabled",  # serve's switch for the whole IPMI side (chassisctl.serve.app.ipmi_enabled)
    }
    for key in section:
        if key not in known:
            raise ConfigError(f"ipmi.{key}: unknown key")

    host, port = parse_listen(section.get("listen", f"0.0.0.0:{DEFAULT_PORT}"))
    suites = _cipher_suites(section)

    allow_none15 = _typed(section, "allow_ipmi15_auth_none", bool, False)
    auth15 = section.get("ipmi15_auth_types", ["md5"])
    if not isinstance(auth15, list) or not all(a in _AUTH15 for a in auth15):
        raise ConfigError(f"ipmi.ipmi15_auth_types: expected a list of {sorted(_AUTH15)}, got {auth15!r}")
    if "none" in auth15 and not allow_none15:
        raise ConfigError("ipmi.ipmi15_auth_types: \"none\" needs allow_ipmi15_auth_none = true")

    kg = _kg(section)

    timeout = _typed(section, "session_timeout", (int, float), 60)
    hs_timeout = _typed(section, "handshake_timeout", (int, float), 3)
    if not 1 <= timeout <= 3600:  # type: ignore[operator]
        raise ConfigError(f"ipmi.session_timeout: expected 1..3600 seconds, got {timeout}")
    if not 0.1 <= hs_timeout <= 60:  # type: ignore[operator]
        raise ConfigError(f"ipmi.handshake_timeout: expected 0.1..60 seconds, got {hs_timeout}")
    max_sessions = _typed(section, "max_sessions", int, 15)
    if not 1 <= max_sessions <= 62:  # type: ignore[operator]
        raise ConfigError(f"ipmi.max_sessions: expected 1..62, got {max_sessions}")
    per_user = _share(section, "max_sessions_per_user", max_sessions)  # type: ignore[arg-type]
    per_address = _share(section, "max_sessions_per_address", max_sessions)  # type: ignore[arg-type]
    burst = _typed(section, "login_failures_burst", int, 10)
    rate = _typed(section, "login_failures_per_minute", (int, float), 10)
    if burst < 1 or rate <= 0:  # type: ignore[operator]
        raise ConfigError("ipmi.login_failures_burst / login_failures_per_minute: must be positive")
    ip_source = _typed(section, "ip_source", str, "static")
    if ip_source not in _IP_SOURCES:
        raise ConfigError(f"ipmi.ip_source: expected one of {sorted(_IP_SOURCES)}, got {ip_source!r}")
    allow_anon = _typed(section, "allow_anonymous", bool, False)

    users, inline_password = _users(section.get("users", []), allow_anon)

    if (inline_password or "kg" in section) and source_path is not None:
        check_secret_file_mode(source_path)

    return LanConfig(
        host=host,
        port=port,
        cipher_suites=tuple(suites),
        allow_anonymous=allow_anon,  # type: ignore[arg-type]
        ipmi15_auth_types=tuple(_AUTH15[a] for a in auth15),
        kg=kg,
        session_timeout=float(timeout),  # type: ignore[arg-type]
        handshake_timeout=float(hs_timeout),  # type: ignore[arg-type]
        max_sessions=max_sessions,  # type: ignore[arg-type]
        max_sessions_per_user=per_user,
        max_sessions_per_address=per_address,
        login_failures_burst=burst,  # type: ignore[arg-type]
        login_failures_per_minute=float(rate),  # type: ignore[arg-type]
        users=tuple(users),
        ip_address=_ipv4(section, "ip_address") if "ip_address" in section else (
            host if ":" not in host else "0.0.0.0"),
        subnet_mask=_ipv4(section, "subnet_mask"),
        default_gateway=_ipv4(section, "default_gateway"),
        mac_address=_mac(section),
        ip_source=_IP_SOURCES[ip_source],  # type: ignore[index]
        interface=_interface(section),
    )


def _share(section: dict, key: str, max_sessions: int) -> int:
    """A per-user / per-address session limit: 1..max_sessions, half the table by default."""
    value = _typed(section, key, int, max(1, max_sessions // 2))
    if not 1 <= value <= max_sessions:  # type: ignore[operator]
        raise ConfigError(f"ipmi.{key}: expected 1..max_sessions ({max_sessions}), got {value}")
    return value  # type: ignore[return-value]


def config_warnings(config: LanConfig) -> list[str]:
    """The weak settings ``config`` enables on purpose, one sentence each naming the risk.

    ``serve`` logs them at start-up; a configuration checker reports them as
    warnings.  Empty: nothing weaker than the defaults is enabled.
    """
    out: list[str] = []
    for user in config.users:
        if user.enabled and not user.password:
            who = "the null (anonymous) user" if user.name == "" else f"user {user.name!r}"
            out.append(f"ipmi.users: {who} has an empty password (allow_empty_password): "
                       f"anyone who knows the name logs in as {user.privilege.name.lower()}")
    if 0 in config.cipher_suites:
        out.append("ipmi.cipher_suites: suite 0 is offered: no authentication, a known user name logs in "
                   "with any password, and nothing protects the session")
    weak = [s for s in config.cipher_suites if s != 0 and CIPHER_SUITES[s].integrity == 0]
    if weak:
        out.append(f"ipmi.cipher_suites: suite {', '.join(map(str, weak))} has no integrity: packets inside "
                   "those sessions can be forged or altered on the network")
    if 0x00 in config.ipmi15_auth_types:
        out.append("ipmi.ipmi15_auth_types: \"none\" is enabled: IPMI 1.5 logins are not authenticated, "
                   "a known user name logs in with any password")
    if 0x04 in config.ipmi15_auth_types:
        out.append("ipmi.ipmi15_auth_types: \"password\" is enabled: IPMI 1.5 sends the password in clear "
                   "text in every packet")
    if config.allow_anonymous and any(u.name == "" and u.enabled for u in config.users):
        out.append("ipmi.allow_anonymous: the null user can log in without a user name")
    return out


def _interface(section: dict) -> str | None:
    name = section.get("interface")
    if name is None:
        return None
    if not isinstance(name, str) or not 1 <= len(name) <= 15 or "/" in name or name.strip() != name:
        raise ConfigError(f"ipmi.interface: expected a network interface name, got {name!r}")
    return name
