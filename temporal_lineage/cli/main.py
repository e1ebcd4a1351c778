"""``temporal-lineage``: every command takes --config, --store and --format."""

from __future__ import annotations

from temporal_lineage.cli import (  # noqa: F401 - importing registers the commands
    access_commands,
    column_commands,
    governance_commands,
    history_commands,
    hygiene_commands,
    lineage_commands,
    operations_commands,
    quality_commands,
    scheduler_commands,
    service_commands,
)
from temporal_lineage.cli.app import cli


def main() -> None:
    """Console-script entry point."""
    cli()


__all__ = ["cli", "main"]
