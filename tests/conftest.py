"""Suite-wide isolation: no test reads or writes the real home.

Every test session gets its own HOME and XDG directories (state, cache,
config, runtime) under a temporary directory, inherited by any subprocess a
test starts, and CHASSISCTL_* settings from the caller's shell are dropped.
Modules that need finer isolation still set their own per-test dirs.
"""

from __future__ import annotations

import os
import tempfile

import pytest


@pytest.fixture(scope="session", autouse=True)
def _isolated_home():
    saved = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="chassisctl-test-home-") as home:
        for name in list(os.environ):
            if name.startswith("CHASSISCTL_"):
                del os.environ[name]
        os.environ["HOME"] = home
        for kind in ("STATE", "CACHE", "CONFIG", "DATA"):
            path = os.path.join(home, kind.lower())
            os.makedirs(path, exist_ok=True)
            os.environ[f"XDG_{kind}_HOME"] = path
        os.environ["RUNTIME_DIRECTORY"] = os.path.join(home, "run")
        try:
            yield home
        finally:
            os.environ.clear()
            os.environ.update(saved)
