"""Allow ``python -m temporal_lineage``."""

from __future__ import annotations

from temporal_lineage.cli.main import main

if __name__ == "__main__":
    main()
