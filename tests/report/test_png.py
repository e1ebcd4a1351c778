"""Optional: a headless browser draws the page to a PNG (skipped where none is installed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from temporal_lineage.report import audit_document, render_html
from tests.report.graphs import AS_OF, GENERATED_AT, build_lineage, build_provenance

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _browser() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


@pytest.mark.skipif(
    _browser() is None,
    reason="no Chromium/Chrome on PATH: the PNG rendering check needs a headless browser",
)
def test_page_renders_to_png(tmp_path: Path) -> None:
    browser = _browser()
    assert browser is not None
    provenance = build_provenance()
    page = render_html(
        audit_document(
            root=provenance["root"],
            as_of=AS_OF,
            known_at=None,
            generated_at=GENERATED_AT,
            store="sqlite:///lineage.db",
            lineage=build_lineage(),
            provenance=provenance,
        )
    )
    source = tmp_path / "report.html"
    source.write_text(page, encoding="utf-8")
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            browser,
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--hide-scrollbars",
            "--window-size=1400,1800",
            f"--screenshot={shot}",
            source.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    data = shot.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 10_000  # more than a blank page
