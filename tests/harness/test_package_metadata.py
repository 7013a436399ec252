"""The Debian package-name test data equals what the real Debian images' own
archive metadata says (scripts/package-metadata.sh --check): the unit tests that
check the role's package names against it are only as true as this file.

Run host-side with the project venv:  .venv/bin/pytest -q tests/harness
(after tests/images/build.sh).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_debian_metadata_files_match_the_images() -> None:
    # the script fails (never skips) when podman or an image is unusable
    proc = subprocess.run(
        ["bash", str(ROOT / "scripts" / "package-metadata.sh"), "--check"],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
