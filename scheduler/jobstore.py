"""APScheduler's SQLAlchemy job store, one worker's jobs in a table shared by all workers.

APScheduler 3 does not support several schedulers sharing one job store: each would run
the others' due jobs. Here every row id is ``<worker>/<job id>`` and a worker reads and
writes only its own rows, so each worker keeps its own schedule (and its own back-off) in
the store's database while the table leases share the tables out.
"""

from __future__ import annotations

import pickle
from datetime import datetime, timedelta
from typing import Any

from apscheduler.jobstores.base import ConflictingIdError, JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.util import datetime_to_utc_timestamp, utc_timestamp_to_datetime
from sqlalchemy import Engine, delete, select, text
from sqlalchemy.exc import IntegrityError

from temporal_lineage.store import Store

JOBS_TABLE = "scheduler_jobs"
"""The job table APScheduler creates in the store's database (not managed by alembic)."""
_CREATE_LOCK = 0x7E3A_11E0_0002
"""PostgreSQL advisory lock key taken while creating the job table."""


class WorkerJobStore(SQLAlchemyJobStore):  # type: ignore[misc]  # APScheduler is untyped
    """The jobs of one worker, kept in the shared ``scheduler_jobs`` table."""

    def __init__(self, engine: Engine, worker: str, tablename: str = JOBS_TABLE) -> None:
        super().__init__(engine=engine, tablename=tablename)
        self.worker = worker
        self._prefix = f"{worker}/"

    def _key(self, job_id: str) -> str:
        return self._prefix + job_id

    def _mine(self) -> Any:
        return self.jobs_t.c.id.startswith(self._prefix, autoescape=True)

    def _state(self, job: Any) -> dict[str, Any]:
        return {
            "next_run_time": datetime_to_utc_timestamp(job.next_run_time),
            "job_state": pickle.dumps(job.__getstate__(), self.pickle_protocol),
        }

    def lookup_job(self, job_id: str) -> Any:
        query = select(self.jobs_t.c.job_state).where(self.jobs_t.c.id == self._key(job_id))
        with self.engine.begin() as connection:
            state = connection.execute(query).scalar()
        return self._reconstitute_job(state) if state else None

    def get_due_jobs(self, now: datetime) -> list[Any]:
        due = self.jobs_t.c.next_run_time <= datetime_to_utc_timestamp(now)
        return list(self._get_jobs(self._mine(), due))

    def get_next_run_time(self) -> datetime | None:
        query = (
            select(self.jobs_t.c.next_run_time)
            .where(self._mine(), self.jobs_t.c.next_run_time.is_not(None))
            .order_by(self.jobs_t.c.next_run_time)
            .limit(1)
        )
        with self.engine.begin() as connection:
            found = connection.execute(query).scalar()
        return utc_timestamp_to_datetime(found)  # type: ignore[no-any-return]

    def get_all_jobs(self) -> list[Any]:
        jobs = list(self._get_jobs(self._mine()))
        self._fix_paused_jobs_sorting(jobs)
        return jobs

    def add_job(self, job: Any) -> None:
        statement = self.jobs_t.insert().values(id=self._key(job.id), **self._state(job))
        with self.engine.begin() as connection:
            try:
                connection.execute(statement)
            except IntegrityError:
                raise ConflictingIdError(job.id) from None

    def update_job(self, job: Any) -> None:
        statement = (
            self.jobs_t.update()
            .values(**self._state(job))
            .where(self.jobs_t.c.id == self._key(job.id))
        )
        with self.engine.begin() as connection:
            if connection.execute(statement).rowcount == 0:
                raise JobLookupError(job.id)

    def remove_job(self, job_id: str) -> None:
        statement = self.jobs_t.delete().where(self.jobs_t.c.id == self._key(job_id))
        with self.engine.begin() as connection:
            if connection.execute(statement).rowcount == 0:
                raise JobLookupError(job_id)

    def remove_all_jobs(self) -> None:
        with self.engine.begin() as connection:
            connection.execute(self.jobs_t.delete().where(self._mine()))

    def create_table(self, store: Store) -> None:
        """Create the job table unless it exists, safely when workers start together.

        APScheduler's own check-then-create races: two workers starting at once on
        PostgreSQL would both try to create it.
        """
        with store.begin() as conn:  # on SQLite this takes the write lock at once
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CREATE_LOCK})
            self.jobs_t.create(conn, checkfirst=True)

    def forget_abandoned(self, now: datetime, older_than: timedelta) -> int:
        """Remove rows of workers that have not run a job for ``older_than`` (they are gone).

        A live worker's next run is never further back than its longest back-off.
        """
        cutoff = datetime_to_utc_timestamp(now - older_than)
        with self.engine.begin() as connection:
            return int(
                connection.execute(
                    delete(self.jobs_t).where(
                        self.jobs_t.c.next_run_time.is_not(None),
                        self.jobs_t.c.next_run_time < cutoff,
                    )
                ).rowcount
            )
