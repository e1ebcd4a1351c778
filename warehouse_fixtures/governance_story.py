"""Day 8: personal data for the governance features, and a data subject's erasure.

The CRM export writes lake.crm.customers, stating in its ``tags`` facet that ``email`` is
personal data (``pii``) and ``customer_id`` the customer key, and in ``ownership`` facets
that team:crm owns it. Two jobs copy it: analytics/hash-customer-emails keeps only
``sha2(email, 256)`` (a masked path, owned by team:analytics) into
deltas.customer_emails_hashed; marketing/export-contacts copies the e-mail itself into
deltas.marketing_contacts, outside the namespaces personal data may reach, with no owner.

Then customer 42 asks to be forgotten: privacy/erase-subject deletes the customer's rows
from all three tables; maintenance expires lake.crm.customers' older snapshot and VACUUMs
deltas.marketing_contacts with no retention, but nobody VACUUMs
deltas.customer_emails_hashed, so its first version, still readable, holds the rows.
``timeline.json`` records what the governance answers should be in ``governance``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from pyiceberg.catalog import Catalog

from temporal_lineage.instrument import event_time
from warehouse_fixtures.delta_tables import DeltaLakeTable
from warehouse_fixtures.facet_emitter import FacetedEmitter
from warehouse_fixtures.governance_jobs import (
    CONTACTS_SQL,
    CUSTOMERS,
    CUSTOMERS_SCHEMA,
    EMAILS_HASHED,
    ERASE_SUBJECT,
    EXPORT_CONTACTS,
    EXPORT_CUSTOMERS,
    HASH_CUSTOMER_EMAILS,
    HASH_SQL,
    MARKETING_CONTACTS,
    SUBJECT_ID,
    SUBJECT_KEY,
    SUBJECT_WHERE,
    contacts_lineage,
    customers_facets,
    customers_lineage,
    hashed_facets,
    hashed_lineage,
)
from warehouse_fixtures.governance_records import (
    CLEAN,
    HOLDS,
    CarryRecord,
    ErasureRecord,
    ErasureTableRecord,
    GovernanceRecord,
    HoldingRecord,
    MaskedRecord,
    PolicyRecord,
    ViolationRecord,
)
from warehouse_fixtures.iceberg_tables import IcebergTable
from warehouse_fixtures.jobs import CRM_CUSTOMERS, iceberg_dataset, location_dataset
from warehouse_fixtures.pacing import CommitPacer
from warehouse_fixtures.pipeline import Pipeline
from warehouse_fixtures.synthetic_data import customers_table
from warehouse_fixtures.timeline import TimelineRecorder

PII = "pii"
CONFINED_POLICY = "pii-confined"
OWNED_POLICY = "pii-owned"
RETENTION_POLICY = "pii-retention"


def subject_rows(data: pa.Table) -> int:
    """How many rows of DATA belong to the data subject."""
    return int(pc.sum(pc.equal(data[SUBJECT_KEY], SUBJECT_ID)).as_py() or 0)


def sha2_256(values: Sequence[str | None]) -> pa.Array:
    """``sha2(value, 256)`` as Spark computes it: the hex SHA-256 of the UTF-8 bytes."""
    return pa.array(
        [None if v is None else hashlib.sha256(v.encode()).hexdigest() for v in values],
        pa.string(),
    )


class GovernanceDay:
    """Plays day 8 inside the story's daily run and records its governance ground truth."""

    def __init__(
        self,
        root: Path,
        catalog: Catalog,
        recorder: TimelineRecorder,
        pacer: CommitPacer,
        pipeline: Pipeline,
        emitter: FacetedEmitter,
    ) -> None:
        self.rec = recorder
        self.pipeline = pipeline
        self.customers = IcebergTable(catalog, CUSTOMERS, recorder, pacer)
        self.hashed = DeltaLakeTable(root, EMAILS_HASHED.split(".")[1], recorder, pacer)
        self.contacts = DeltaLakeTable(root, MARKETING_CONTACTS.split(".")[1], recorder, pacer)
        self.customers_ds = iceberg_dataset(CUSTOMERS)
        self.hashed_ds = location_dataset(str(self.hashed.path))
        self.contacts_ds = location_dataset(str(self.contacts.path))
        emitter.add(EXPORT_CUSTOMERS.name, customers_facets(self.customers_ds))
        emitter.add(HASH_CUSTOMER_EMAILS.name, hashed_facets(self.hashed_ds))
        self._held: dict[str, dict[int, int]] = {}
        """Table -> snapshot -> the subject's rows it returns."""
        self._unreadable: dict[str, set[int]] = {}
        self._carried: dict[str, CarryRecord] = {}

    def play(self) -> None:
        """Create and fill the tables, then erase the subject and run the maintenance."""
        self.customers.create(CUSTOMERS_SCHEMA)
        self._export_customers()
        self._hash_emails()
        self._export_contacts()
        requested_at = self._erase_subject()
        done_at = self._maintenance()
        self.rec.governance = self._truth(requested_at, done_at)

    def _maintenance(self) -> str:
        """Expire lake.crm.customers' older snapshots and VACUUM deltas.marketing_contacts
        (outside any run); return when the VACUUM ended."""
        older = [s for s in self._held[CUSTOMERS] if s != self.customers.current_snapshot_id]
        self.customers.expire(older)
        self._unreadable[CUSTOMERS] = set(older)
        held = self._held[MARKETING_CONTACTS]
        erased = max(held)
        vacuumed = self.contacts.vacuum()
        held.update(dict.fromkeys(vacuumed, 0))
        # VACUUM without retention removes every file the latest version does not use: those
        # of the versions before the DELETE, which rewrote the files holding the subject.
        self._unreadable[MARKETING_CONTACTS] = {v for v in held if v < erased}
        return self.rec.tables[MARKETING_CONTACTS].snapshots[vacuumed[-1]].committed_at

    # --- jobs -------------------------------------------------------------------------------

    def _export_customers(self) -> None:
        """crm/export-customers: the CRM database -> lake.crm.customers, tagged and owned."""
        with self.pipeline.run(
            EXPORT_CUSTOMERS,
            self.rec.day,
            inputs=[CRM_CUSTOMERS],
            outputs=[self.customers_ds],
            parameters={"mode": "append"},
        ) as run:
            run.read_external(CRM_CUSTOMERS)
            data = customers_table()
            snapshots = self.customers.append(data, run.job_run)
            columns = customers_lineage(CRM_CUSTOMERS)
            run.wrote_iceberg(self.customers, self.customers_ds, snapshots, columns)
        self._held[CUSTOMERS] = dict.fromkeys(snapshots, subject_rows(data))

    def _hash_emails(self) -> None:
        """analytics/hash-customer-emails: HASH_SQL over lake.crm.customers."""
        with self.pipeline.run(
            HASH_CUSTOMER_EMAILS,
            self.rec.day,
            inputs=[self.customers_ds],
            outputs=[self.hashed_ds],
            sql=HASH_SQL,
        ) as run:
            customers = run.read_iceberg(self.customers, self.customers_ds)
            data = pa.table(
                {
                    "customer_id": customers["customer_id"],
                    "email_hash": sha2_256(customers["email"].to_pylist()),
                    "country": customers["country"],
                }
            )
            version = self.hashed.create(data, run.job_run, description="hashed customer e-mails")
            run.wrote_delta(self.hashed, self.hashed_ds, version, hashed_lineage(self.customers_ds))
        self._held[EMAILS_HASHED] = {version: subject_rows(data)}
        self._carried[EMAILS_HASHED] = self._carry(HASH_CUSTOMER_EMAILS.name, run.run_id)

    def _export_contacts(self) -> None:
        """marketing/export-contacts: CONTACTS_SQL over lake.crm.customers, e-mail in clear."""
        with self.pipeline.run(
            EXPORT_CONTACTS,
            self.rec.day,
            inputs=[self.customers_ds],
            outputs=[self.contacts_ds],
            sql=CONTACTS_SQL,
        ) as run:
            customers = run.read_iceberg(self.customers, self.customers_ds)
            data = customers.select(["customer_id", "email", "country"])
            version = self.contacts.create(data, run.job_run, description="marketing contacts")
            columns = contacts_lineage(self.customers_ds)
            run.wrote_delta(self.contacts, self.contacts_ds, version, columns)
        self._held[MARKETING_CONTACTS] = {version: subject_rows(data)}
        self._carried[MARKETING_CONTACTS] = self._carry(EXPORT_CONTACTS.name, run.run_id)

    def _erase_subject(self) -> str:
        """privacy/erase-subject: DELETE the subject's rows from every table holding them;
        return when the erasure run started (the request)."""
        with self.pipeline.run(
            ERASE_SUBJECT,
            self.rec.day,
            outputs=[self.customers_ds, self.contacts_ds, self.hashed_ds],
            parameters={"where": SUBJECT_WHERE},
        ) as run:
            snapshots = self.customers.delete(SUBJECT_WHERE, run.job_run)
            run.wrote_iceberg(self.customers, self.customers_ds, snapshots)
            self._held[CUSTOMERS].update(dict.fromkeys(snapshots, 0))
            for table, dataset in (
                (self.contacts, self.contacts_ds),
                (self.hashed, self.hashed_ds),
            ):
                version = table.delete(SUBJECT_WHERE, run.job_run)
                run.wrote_delta(table, dataset, version)
                self._held[table.name][version] = 0
        started = run.job_run.started_at
        if started is None:
            raise RuntimeError("the erasure run never started")
        return event_time(started)

    def _carry(self, job: str, run_id: str) -> CarryRecord:
        return CarryRecord(SUBJECT_KEY, CUSTOMERS, SUBJECT_KEY, job, run_id)

    # --- ground truth -----------------------------------------------------------------------

    def _truth(self, requested_at: str, done_at: str) -> GovernanceRecord:
        tables = tuple(
            self._erasure_table(name) for name in (CUSTOMERS, EMAILS_HASHED, MARKETING_CONTACTS)
        )
        erasure = ErasureRecord(CUSTOMERS, SUBJECT_WHERE, requested_at, done_at, tables)
        leak = f"{PII} of {CUSTOMERS}.email reaches it unmasked through {EXPORT_CONTACTS.name}"
        policies = (
            PolicyRecord(CONFINED_POLICY, (ViolationRecord(MARKETING_CONTACTS, "email", leak),)),
            PolicyRecord(
                OWNED_POLICY,
                (ViolationRecord(MARKETING_CONTACTS, None, f"holds {PII}, no owner"),),
            ),
            PolicyRecord(RETENTION_POLICY, ()),  # every snapshot is minutes old
        )
        masked = (
            MaskedRecord(
                PII, EMAILS_HASHED, "email_hash", CUSTOMERS, "email", HASH_CUSTOMER_EMAILS.name
            ),
        )
        return GovernanceRecord(done_at, erasure, policies, masked)

    def _erasure_table(self, name: str) -> ErasureTableRecord:
        table = self.rec.tables[name]
        unreadable = self._unreadable.get(name, set())
        snapshots = tuple(
            HoldingRecord(
                snapshot=snapshot,
                committed_at=table.snapshots[snapshot].committed_at,
                in_source=not table.snapshots[snapshot].expired,
                readable=snapshot not in unreadable,
                rows=rows,
            )
            for snapshot, rows in self._held[name].items()
        )
        head = table.current_snapshot
        if head is None:
            raise RuntimeError(f"{name} has no head")
        holds = any(s.readable and s.rows for s in snapshots)
        carried = (self._carried[name],) if name in self._carried else ()
        return ErasureTableRecord(
            name, HOLDS if holds else CLEAN, carried, head, self._held[name][head], snapshots
        )
