"""Fixtures of the report tests."""

from __future__ import annotations

from typing import Any

import pytest

from tests.report.graphs import build_lineage, build_provenance


@pytest.fixture
def provenance() -> dict[str, Any]:
    return build_provenance()


@pytest.fixture
def lineage() -> dict[str, Any]:
    return build_lineage()
