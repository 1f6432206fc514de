"""Configuration of the IPMI-over-LAN endpoint (its TOML reader is :mod:`chassisctl.serve.lan_settings`).

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
logs at start-up and ``config check`` reports.  Pure data: no file is read
and no configuration error raised here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chassisctl.ipmi.codes import Privilege
from chassisctl.ipmi.rmcpplus import CIPHER_SUITES

DEFAULT_PORT = 623
DEFAULT_CIPHER_SUITES = (17, 3)
#: ``ip_source`` words -> the LAN parameter's code; ``ipmi15_auth_types`` words -> auth type codes.
IP_SOURCES = {"unspecified": 0, "static": 1, "dhcp": 2, "bios": 3, "other": 4}
AUTH15_CODES = {"none": 0x00, "md5": 0x02, "password": 0x04}


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
