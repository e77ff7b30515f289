"""Data-layer tests: every file is built in ``tmp_path`` by the test itself."""

from __future__ import annotations

import pytest

from nnstudio.core.data.image_folder import clear_scan_cache


@pytest.fixture(autouse=True)
def _fresh_scan_cache():
    """Each test scans its folders afresh (the scan cache is per process)."""
    clear_scan_cache()
    yield
    clear_scan_cache()
