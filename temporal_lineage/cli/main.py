"""``temporal-lineage``: every command takes --config, --store and --format.

Commands are loaded by name (:class:`~temporal_lineage.cli.lazy_group.LazyGroup`): a
command imports its module, and only that module's imports, when it runs. ``--help``
lists them from :data:`COMMANDS` without importing any.
"""

from __future__ import annotations

from temporal_lineage.cli.app import cli
from temporal_lineage.cli.lazy_group import LazyCommand

_PACKAGE = "temporal_lineage.cli"
ACCESS = f"{_PACKAGE}.access_commands"
COLUMN = f"{_PACKAGE}.column_commands"
GOVERNANCE = f"{_PACKAGE}.governance_commands"
HISTORY = f"{_PACKAGE}.history_commands"
HYGIENE = f"{_PACKAGE}.hygiene_commands"
LINEAGE = f"{_PACKAGE}.lineage_commands"
OPERATIONS = f"{_PACKAGE}.operations_commands"
QUALITY = f"{_PACKAGE}.quality_commands"
SCHEDULER = f"{_PACKAGE}.scheduler_commands"
SERVICE = f"{_PACKAGE}.service_commands"

# Each summary is the first sentence of the command's help, as ``--help`` shows it
# (tests/cli/test_startup_imports.py checks both against the loaded commands).
COMMANDS: dict[str, LazyCommand] = {
    "access": LazyCommand(
        ACCESS, "Who read TABLE in a window: run, job, principal, snapshot, columns and evidence."
    ),
    "audit": LazyCommand(
        LINEAGE,
        "A self-contained report of TABLE's lineage and provenance as of a time, with evidence.",
    ),
    "classification": LazyCommand(
        GOVERNANCE,
        "Every column's tags as of a time: direct, propagated or may_contain, with the path.",
    ),
    "diff": LazyCommand(LINEAGE, "What changed upstream of TABLE between its heads at A and at B."),
    "erasure": LazyCommand(
        GOVERNANCE,
        "Right to erasure: where a subject's rows still live (erasure TABLE --where P).",
    ),
    "freshness": LazyCommand(
        OPERATIONS,
        "Each table's last commit, lag and SLA as of a time; late ones name the late upstream.",
    ),
    "hygiene": LazyCommand(
        HYGIENE, "Unused tables (largest first), redundant jobs, small commits, retained snapshots."
    ),
    "impact": LazyCommand(
        COLUMN, "The downstream columns, tables and jobs fed by TABLE.COLUMN (by field identity)."
    ),
    "ingest": LazyCommand(
        LINEAGE, "Store OpenLineage events (one JSON event, a JSON array, or NDJSON per file)."
    ),
    "init": LazyCommand(HISTORY, "Create the store, or migrate it to this version's schema."),
    "job": LazyCommand(
        OPERATIONS,
        "Run health of JOB (namespace/name): its runs in the window, durations, failures, retries.",
    ),
    "lineage": LazyCommand(
        LINEAGE,
        "The lineage of TABLE as of a time: tables and jobs, with the evidence of each edge.",
    ),
    "policy": LazyCommand(GOVERNANCE, "The policies of lineage.yaml."),
    "propagation": LazyCommand(
        COLUMN, "For every schema change of TABLE: has it reached each downstream column?"
    ),
    "provenance": LazyCommand(
        LINEAGE,
        "Every snapshot that went into TABLE's snapshot at a time, with runs and code versions.",
    ),
    "quality": LazyCommand(
        QUALITY,
        "TABLE's data-quality results as of a time, and whether it is SUSPECT (produced from a "
        "snapshot with a failed assertion, through provenance), with the path.",
    ),
    "refs": LazyCommand(
        HISTORY, "The branches and tags of TABLE over time (main is its head: see `snapshots`)."
    ),
    "reproduce": LazyCommand(
        LINEAGE, "A manifest that re-reads exactly the data TABLE was made from as of a time."
    ),
    "run": LazyCommand(
        SERVICE, "One run: its job, state, code, the snapshots it read and the ones it wrote."
    ),
    "scheduler": LazyCommand(
        SCHEDULER,
        "Scheduled sync: every source on its poll_interval, tables shared out by leases.",
    ),
    "schema": LazyCommand(
        HISTORY,
        "The schema of TABLE as of a time, with field ids (of a branch or tag with --ref).",
    ),
    "schema-history": LazyCommand(
        HISTORY, "Every schema TABLE had, with the typed changes between them."
    ),
    "serve": LazyCommand(
        SERVICE, "HTTP API, OpenLineage endpoint and web UI, with scheduled background sync."
    ),
    "snapshots": LazyCommand(
        HISTORY, "Every snapshot of TABLE, or with --as-of the one current at that time."
    ),
    "sync": LazyCommand(HISTORY, "Poll the configured sources once and record what is new."),
    "tables": LazyCommand(HISTORY, "List the tables the store knows."),
    "tag": LazyCommand(
        GOVERNANCE, "Manual classification tags (facts with a valid time; nothing is deleted)."
    ),
    "token": LazyCommand(SERVICE, "API tokens (stored hashed; the secret is shown once)."),
    "triage": LazyCommand(
        QUALITY,
        "What changed upstream of TABLE in the window before --at, most likely cause first.",
    ),
    "verify": LazyCommand(
        LINEAGE,
        "Re-read every table of MANIFEST at its snapshot; check row counts and fingerprints.",
    ),
}

cli.add_lazy_commands(COMMANDS)


def main() -> None:
    """Console-script entry point."""
    cli()


__all__ = ["COMMANDS", "cli", "main"]
