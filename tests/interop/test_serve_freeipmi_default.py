"""FreeIPMI's tools with their default driver (IPMI 1.5, ``--driver-type=LAN``) against serve.

Most people never pass ``--driver-type``, so FreeIPMI speaks IPMI 1.5 to
``serve``.  FreeIPMI checks more than ipmitool's ``-I lan``: the session
header of the Activate Session response must carry the console's initial
outbound sequence number, and every later response must count up from it
inside its receive window, or it retransmits until the session times out.
"""

from __future__ import annotations

import pytest

from interop import serve_fixture as sf

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def serve(tmp_path_factory):
    instance = sf.Serve(tmp_path_factory.mktemp("serve-freeipmi-default")).start()
    yield instance
    instance.stop()


def default_tool(serve: sf.Serve, tool: str, *args: str, user: str = "admin",
                 password: str = "password") -> sf.Ran:
    sf.need(tool)
    return sf.run(sf.freeipmi_default_argv(tool, serve.host, serve.port, *args, user=user, password=password),
                  serve.env, timeout=40)


@pytest.mark.parametrize("tool,args,pattern", [
    ("bmc-info", (), r"Device ID\s+: \d+"),
    ("ipmi-sensors", ("--quiet-cache",), r"\|\s*Inlet Temp\s*\|.*C\s*\|"),
    ("ipmi-sel", (), r""),
    ("ipmi-chassis", ("--get-chassis-status",), r"System Power\s+: (on|off)"),
], ids=["bmc-info", "ipmi-sensors", "ipmi-sel", "ipmi-chassis"])
def test_default_driver(serve, tool, args, pattern):
    mark = serve.mark()
    ran = default_tool(serve, tool, *args)
    sf.passes(ran, pattern)
    assert serve.wait_log(r"session \S+ opened for .*\(ipmi1\.5 md5", since=mark), serve.log_text()


@pytest.mark.parametrize("level,user,password", [("USER", "viewer", "viewpass"), ("OPERATOR", "oper", "operpass"),
                                                 ("ADMIN", "admin", "password")])
def test_default_driver_at_each_privilege(serve, level, user, password):
    sf.passes(default_tool(serve, "ipmi-chassis", "--get-chassis-status", "-l", level, user=user,
                           password=password), r"System Power")


def test_ipmi_sel_lists_entries_after_an_event(serve):
    # The SEL of the simulated chassis gets an entry when power goes off; the
    # default driver must read it back (several exchanges in one session).
    sf.passes(default_tool(serve, "ipmi-chassis", "--chassis-control=POWER-DOWN"))
    try:
        ran = default_tool(serve, "ipmi-sel")
        sf.passes(ran)
    finally:
        sf.passes(default_tool(serve, "ipmi-chassis", "--chassis-control=POWER-UP"))
