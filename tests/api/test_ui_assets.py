"""The web UI's files: everything they load is shipped next to them, nothing from the network."""

from __future__ import annotations

import re
from pathlib import Path

from temporal_lineage.api.app import UI_DIR

IMPORT = re.compile(r"""^\s*(?:import|export)\s[^;]*?\sfrom\s+["']([^"']+)["']""", re.M | re.S)
REFERENCE = re.compile(r"""(?:src|href)=["']([^"'#]+)["']""")
SVG_NAMESPACE = "http://www.w3.org/2000/svg"


def test_every_module_and_asset_is_shipped() -> None:
    html = (UI_DIR / "index.html").read_text()
    loaded = set(REFERENCE.findall(html)) - {"data:,", "../api/v1/tables"}
    assert loaded == {"app.css", "app.js"}
    pending = ["app.js"]
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        source = (UI_DIR / name).read_text()
        for target in IMPORT.findall(source):
            assert target.startswith("./"), (name, target)
            assert (UI_DIR / target[2:]).is_file(), (name, target)
            pending.append(target[2:])
    shipped = {p.name for p in UI_DIR.glob("*.js")}
    assert seen == shipped, shipped - seen


def test_nothing_is_fetched_from_another_origin() -> None:
    for path in sorted(Path(UI_DIR).iterdir()):
        text = path.read_text().replace(SVG_NAMESPACE, "")
        assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", text), path.name
        if path.suffix == ".css":
            assert "@import" not in text and "url(" not in text, path.name
