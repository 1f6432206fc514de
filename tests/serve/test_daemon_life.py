"""serve as a daemon: metrics, reload without losing state, storms, stopping.

Each test runs ``chassisctl serve`` as a subprocess on the simulated
chassis with its own runtime directory (control socket) and a metrics
endpoint on a free port, and talks to it as operators and Prometheus do.
"""

from __future__ import annotations

import os
import re
import signal
import time
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from chassisctl.control.client import query
from chassisctl.ipmi.lan.console import RmcpPlusConsole, login, split_reply
from interop import serve_fixture as sf

pytestmark = pytest.mark.interop

METRICS = '\n[metrics]\nlisten = "127.0.0.1:0"\ninterval = {interval}\n'


def start(tmp_path, *, interval: float = 1, **kw) -> sf.Serve:
    return sf.Serve(tmp_path / "serve", extra_config=METRICS.format(interval=interval), **kw).start()


def metrics_url(serve: sf.Serve) -> str:
    (line,) = serve.wait_log(r"metrics on http://", timeout=5)[-1:]
    return re.search(r"(http://[\d.]+:\d+/metrics)", line).group(1)


def scrape(serve: sf.Serve) -> dict[str, list]:
    """name -> [(labels, value)], parsed by prometheus-client's own parser."""
    with urllib.request.urlopen(metrics_url(serve), timeout=5) as reply:
        text = reply.read().decode()
    out: dict[str, list] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, []).append((sample.labels, sample.value))
    return out


def one(samples: dict[str, list], metric: str, /, **labels) -> float:
    found = [v for lab, v in samples.get(metric, []) if all(lab.get(k) == w for k, w in labels.items())]
    assert len(found) == 1, (metric, labels, samples.get(metric))
    return found[0]


def logged_in(serve: sf.Serve) -> tuple[sf.Udp, RmcpPlusConsole]:
    udp = sf.Udp(serve.host, serve.port)
    console = RmcpPlusConsole(b"admin", b"password", random_bytes=os.urandom, console_sid=0x5151)
    login(console, udp.exchange)
    return udp, console


def device_id(udp: sf.Udp, console: RmcpPlusConsole) -> int:
    cc, _ = split_reply(console.decode(udp.exchange(console.request(0x06, 0x01), timeout=1.0)))
    return cc


def test_metrics_have_ipmi_exporter_names_and_our_counters(tmp_path) -> None:
    serve = start(tmp_path)
    try:
        sf.passes(serve.ipmitool("chassis", "power", "status"))
        # An unknown user is refused at RAKP 1 (a wrong password only shows in RAKP 3,
        # which ipmitool never sends once RAKP 2 fails its own check).
        bad = sf.run(sf.ipmitool_argv(serve.host, serve.port, "chassis", "power", "status", user="nobody"),
                     serve.env)
        assert bad.returncode != 0
        samples = scrape(serve)
        inlet = one(samples, "ipmi_temperature_celsius", name="Inlet Temp", node="bmc")
        assert 10 < inlet < 60
        assert one(samples, "ipmi_temperature_state", name="Inlet Temp", node="bmc") == 0
        assert one(samples, "ipmi_fan_speed_rpm", name="Fan1", node="bmc") > 0
        assert one(samples, "ipmi_voltage_volts", name="P12V", node="bmc") == pytest.approx(12, abs=1)
        assert one(samples, "ipmi_power_watts", name="Total Power", node="bmc") > 0
        assert one(samples, "ipmi_sensor_state", name="Intrusion", node="bmc") == 0
        assert one(samples, "ipmi_up", collector="ipmi", node="bmc") == 1
        assert one(samples, "ipmi_chassis_power_state", node="bmc") == 1
        assert one(samples, "chassisctl_bmc_transactions_total", node="bmc") > 30
        assert one(samples, "chassisctl_bmc_transaction_seconds_count", node="bmc") == one(
            samples, "chassisctl_bmc_transactions_total", node="bmc")
        assert one(samples, "chassisctl_ipmi_lan_logins_total", endpoint="ipmi-lan") >= 1
        assert one(samples, "chassisctl_ipmi_lan_login_failures_total", endpoint="ipmi-lan",
                   reason="unknown user") >= 1
        assert one(samples, "chassisctl_service_up", service="metrics") == 1
        assert one(samples, "chassisctl_service_up", service="ipmi-lan") == 1
    finally:
        assert serve.stop() == 0


def test_a_scrape_never_touches_the_bus(tmp_path) -> None:
    serve = start(tmp_path, interval=3600)  # one refresh at start, then none within the test
    try:
        deadline = time.monotonic() + 10
        while one(samples := scrape(serve), "ipmi_up", collector="ipmi", node="bmc") != 1:
            assert time.monotonic() < deadline, samples
            time.sleep(0.1)  # the first refresh is still scanning
        time.sleep(0.5)  # ... and the chassis status read that follows it
        first = one(scrape(serve), "chassisctl_bmc_transactions_total", node="bmc")
        for _ in range(5):
            samples = scrape(serve)
        assert one(samples, "chassisctl_bmc_transactions_total", node="bmc") == first
        assert one(samples, "ipmi_temperature_celsius", name="CPU Temp", node="bmc") > 0
    finally:
        serve.stop()


def test_status_over_the_control_socket(tmp_path) -> None:
    serve = start(tmp_path)
    try:
        doc = query("status", socket_path=serve.socket_path)
        (node,) = doc["nodes"]
        assert node["power"] == "on" and node["sensors"]["worst"] == "ok" and node["sensors"]["ok"] > 20
        assert {s["name"]: s["state"] for s in doc["services"]} == {"ipmi-lan": "up", "metrics": "up"}
        sf.passes(serve.cli("status", "--json", "--socket", str(serve.socket_path)), r'"schema": 1')
        text = serve.cli("status")  # the socket found from the environment serve runs in
        sf.passes(text, r"(?m)^ipmi-lan\s+up\s")
        assert re.search(r"(?m)^bmc\s+on\s+\d+ ok$", text.stdout), text.stdout
    finally:
        serve.stop()


def test_reload_keeps_sessions_it_does_not_touch_and_rebuilds_what_changed(tmp_path) -> None:
    serve = start(tmp_path)
    try:
        udp, console = logged_in(serve)
        assert device_id(udp, console) == 0
        # Only [metrics] changes: the IPMI side and its session stay.
        serve.extra_config = METRICS.format(interval=2)
        serve.write_config()
        line = serve.reload(serve.mark())
        assert "reloaded:" in line and "unchanged: ipmi" in line, line
        assert device_id(udp, console) == 0
        assert query("status", socket_path=serve.socket_path)["reloads"] == 1
        # [ipmi] changes: the endpoint is rebuilt, the old session is gone, logins work again.
        serve.users = [*serve.users, {"name": "extra", "password": "extrapass", "privilege": "user"}]
        serve.write_config()
        line = serve.reload(serve.mark())
        assert "reloaded:" in line and "unchanged: metrics" in line, line
        with pytest.raises(OSError):
            device_id(udp, console)
        udp2, console2 = logged_in(serve)
        assert device_id(udp2, console2) == 0
    finally:
        assert serve.stop() == 0


def test_an_invalid_config_is_refused_with_one_line_and_the_old_one_keeps_running(tmp_path) -> None:
    serve = start(tmp_path)
    try:
        udp, console = logged_in(serve)
        mark = serve.mark()
        serve.extra_config = METRICS.format(interval=1) + "bogus_key = 3\n"
        serve.write_config()
        line = serve.reload(mark)
        assert re.search(r"reload refused, the running configuration stays: "
                         + re.escape(str(serve.config_path)) + r":\d+: metrics.bogus_key: unknown key "
                         r"\(known: listen, interval\)$", line), line
        assert len([x for x in serve.log_lines(mark) if "ERROR" in x]) == 1, serve.log_lines(mark)
        assert device_id(udp, console) == 0
        assert one(scrape(serve), "ipmi_up", collector="ipmi", node="bmc") == 1
    finally:
        serve.stop()


def test_sighup_storm_and_scrapes_during_reloads(tmp_path) -> None:
    serve = start(tmp_path)
    try:
        udp, console = logged_in(serve)
        mark = serve.mark()
        for i in range(40):
            serve.proc.send_signal(signal.SIGHUP)
            if i % 10 == 0:
                assert one(scrape(serve), "ipmi_up", collector="ipmi", node="bmc") == 1
            time.sleep(0.005)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            reloads = query("status", socket_path=serve.socket_path)["reloads"]
            time.sleep(0.5)
            if query("status", socket_path=serve.socket_path)["reloads"] == reloads:
                break
        assert 1 <= reloads <= 40
        assert serve.alive() and device_id(udp, console) == 0  # nothing touched the IPMI side
        assert not [x for x in serve.log_lines(mark) if "ERROR" in x or "Traceback" in x]
    finally:
        assert serve.stop() == 0


def test_sigterm_stops_within_five_seconds_and_removes_the_socket(tmp_path) -> None:
    serve = start(tmp_path)
    logged_in(serve)
    assert serve.socket_path.exists()
    started = time.monotonic()
    serve.proc.send_signal(signal.SIGTERM)
    assert serve.proc.wait(10) == 0
    assert time.monotonic() - started < 5.0
    assert not serve.socket_path.exists()
    assert serve.log_lines()[-1].endswith("stopped")


def test_a_bmc_that_vanishes_shows_in_metrics_and_the_lan_side_answers_without_hanging(tmp_path) -> None:
    """The simulated BMC stops answering for good after 150 transactions (start-up
    and a few background refreshes): metrics say so, LAN clients get an error
    completion code at once, and status still answers."""
    serve = start(tmp_path, extra_env={"CHASSISCTL_SIM_FAULTS": "dead_after=150"})
    try:
        deadline = time.monotonic() + 30
        while one(samples := scrape(serve), "ipmi_up", collector="ipmi", node="bmc") != 0:
            assert time.monotonic() < deadline, samples
            time.sleep(0.5)
        assert serve.wait_log(r"stopped answering", timeout=10), serve.log_text()
        time.sleep(1.5)  # past the poll interval: no reading from the last good scan is still fresh
        started = time.monotonic()
        reading = serve.ipmitool("raw", "0x04", "0x2d", "0x01")  # Get Sensor Reading, not in memory
        assert reading.returncode != 0 and re.search(r"rsp=0x(d5|c3|ff)", reading.output), str(reading)
        sf.passes(serve.ipmitool("mc", "info"), r"Device ID")  # identity is answered from memory
        assert time.monotonic() - started < 15
        doc = query("status", socket_path=serve.socket_path, timeout=10)
        assert {s["name"]: s["state"] for s in doc["services"]}["ipmi-lan"] == "up"
    finally:
        assert serve.stop() == 0
