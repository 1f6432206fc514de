"""The README's Ansible example, run as written against serve on the simulator.

community.general's ipmi_boot and ipmi_power (through pyghmi) are what
fleets drive BMCs with; the playbook is taken from the README, pointed at
this serve (host, port and password are the only substitutions) and run
with ansible-playbook.  Then ipmitool checks what it did.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from interop import serve_fixture as sf

pytestmark = pytest.mark.interop

REPO = Path(__file__).resolve().parents[2]


def _readme_playbook() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Running serve in production\n", 1)[1].split("\n## ", 1)[0]
    (playbook,) = [b for b in re.findall(r"```yaml\n(.*?)```", section, re.S) if "community.general" in b]
    return playbook


def test_the_readme_playbook_sets_pxe_once_and_powers_on(tmp_path: Path) -> None:
    playbook_cli = shutil.which("ansible-playbook", path=str(Path(sys.executable).parent))
    if playbook_cli is None:
        if sf.in_ci():
            pytest.fail("ansible-playbook is not installed (the test extra installs it; required under CI=true)")
        pytest.skip("ansible not installed")
    serve = sf.Serve(tmp_path / "serve").start()
    try:
        sf.passes(serve.cli("power", "off", "--yes"))
        plays = yaml.safe_load(_readme_playbook())
        for task in plays[0]["tasks"]:
            module = next(v for k, v in task.items() if k.startswith("community.general."))
            assert module["name"] == "chassis-17.example.net"
            module.update(name=serve.host, port=serve.port)
        path = tmp_path / "playbook.yml"
        path.write_text(yaml.safe_dump(plays))
        env = serve.env | {"ANSIBLE_NOCOLOR": "1", "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
                           "ANSIBLE_REMOTE_TEMP": str(tmp_path / "ansible-tmp")}
        ran = sf.run([playbook_cli, "-i", "localhost,", "-c", "local", str(path),
                      "-e", "ipmi_password=password", "-e", f"ansible_python_interpreter={sys.executable}"],
                     env, timeout=120)
        assert ran.returncode == 0 and re.search(r"failed=0", ran.stdout), str(ran)
        boot = serve.ipmitool("chassis", "bootparam", "get", "5")
        sf.passes(boot, r"Force PXE")
        assert "Options apply to only next boot" in boot.stdout, boot.stdout
        assert serve.wait_power("on") == "on"
    finally:
        serve.stop()
