# Copyright (c) kvmhost.setup contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures shared by the host-side tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from hostutil import build_artifact


@pytest.fixture(scope="session")
def artifact(tmp_path_factory) -> Path:
    """The collection tarball built from this tree (once per test session)."""
    return build_artifact(tmp_path_factory.mktemp("build"))
