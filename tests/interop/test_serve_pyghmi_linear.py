"""pyghmi's get_sensor_data through serve, on a chassis without non-linear sensors.

Bank check 29 runs pyghmi against the default profile, whose "VR Temp" is
non-linear (linearization 70h); pyghmi 1.6.19 cannot decode those and the
check is an expected failure there.  This module proves the rest of
pyghmi's sensor path against serve: the same steady profile with the
non-linear sensor removed must give every sensor without an exception.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from interop import serve_fixture as sf

pytestmark = pytest.mark.interop


def _without_nonlinear(text: str) -> str:
    blocks = re.split(r"(?m)^(?=\[\[sensor\]\])", text)
    return "".join(b for b in blocks if "nonlinear" not in b)


def test_pyghmi_get_sensor_data_reads_every_linear_sensor(tmp_path: Path) -> None:
    profile = tmp_path / "linear.toml"
    profile.write_text(_without_nonlinear(sf.STEADY_PROFILE.read_text()))
    assert "VR Temp" not in profile.read_text()
    serve = sf.Serve(tmp_path / "serve", profile=profile).start()
    try:
        ran = serve.pyghmi("sensors")
        sf.passes(ran, r"Inlet Temp")
        for name in ("CPU Temp", "Fan1", "P12V", "Total Power", "PSU1 Status"):
            assert name in ran.output, ran
    finally:
        serve.stop()
