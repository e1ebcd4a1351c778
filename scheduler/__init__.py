"""Scheduled background sync (APScheduler 3): wiring only, every job is one call of ``sync``.

``start_background`` runs the jobs inside ``serve``; ``run_until_stopped`` is the blocking
``temporal-lineage scheduler run`` worker. Several workers share one store through table
leases (``temporal_lineage/store/leases.py``).
"""

from __future__ import annotations

from scheduler.jobs import MAX_BACKOFF, Backoff, backoff_delay, job_id, sync_job
from scheduler.jobstore import JOBS_TABLE
from scheduler.service import (
    SchedulerHandle,
    check_worker_id,
    configure_logging,
    default_worker_id,
    run_until_stopped,
    start_background,
)

__all__ = [
    "JOBS_TABLE",
    "MAX_BACKOFF",
    "Backoff",
    "SchedulerHandle",
    "backoff_delay",
    "check_worker_id",
    "configure_logging",
    "default_worker_id",
    "job_id",
    "run_until_stopped",
    "start_background",
    "sync_job",
]
