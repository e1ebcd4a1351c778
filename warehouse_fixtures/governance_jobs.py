"""Day 8's jobs: the CRM export of customers' personal data and the two jobs that copy it.

``crm/export-customers`` writes lake.crm.customers and states, in ``tags`` and ``ownership``
dataset facets, which columns are personal data and who owns the table.
``analytics/hash-customer-emails`` keeps only a SHA-256 of the e-mail (a masked path);
``marketing/export-contacts`` copies the e-mail as it is, outside the namespaces personal
data may reach, and names no owner (an unmasked leak). ``privacy/erase-subject`` deletes a
data subject's rows from every table that holds them.
"""

from __future__ import annotations

from collections.abc import Mapping

from openlineage.client.facet_v2 import (
    DatasetFacet,
    JobFacet,
    ownership_dataset,
    ownership_job,
    tags_dataset,
)
from pyiceberg.schema import Schema
from pyiceberg.types import DateType, LongType, NestedField, StringType

from temporal_lineage.instrument import PRODUCER, ColumnInput, ColumnMapping, DatasetRef
from temporal_lineage.instrument.columns import DIRECT, TRANSFORMATION
from warehouse_fixtures.facet_emitter import ExtraFacets
from warehouse_fixtures.jobs import CodeRevision, JobSpec

GOVERNANCE_DAY = 8

CUSTOMERS = "lake.crm.customers"
EMAILS_HASHED = "deltas.customer_emails_hashed"
MARKETING_CONTACTS = "deltas.marketing_contacts"
GOVERNANCE_TABLES = (CUSTOMERS, EMAILS_HASHED, MARKETING_CONTACTS)

CUSTOMERS_SCHEMA = Schema(
    NestedField(1, "customer_id", LongType(), required=True),
    NestedField(2, "email", StringType(), required=False),
    NestedField(3, "phone", StringType(), required=False),
    NestedField(4, "country", StringType(), required=False),
    NestedField(5, "signup_date", DateType(), required=False),
)
CUSTOMER_COLUMNS = ("customer_id", "email", "phone", "country", "signup_date")

SUBJECT_ID = 42
SUBJECT_KEY = "customer_id"
SUBJECT_WHERE = f"{SUBJECT_KEY} = {SUBJECT_ID}"
"""The data subject whose rows are erased, as a predicate on lake.crm.customers."""

EXPORT_CUSTOMERS = JobSpec(
    "crm/export-customers", (CodeRevision(GOVERNANCE_DAY, "v1: nightly CRM customer export"),)
)
HASH_CUSTOMER_EMAILS = JobSpec(
    "analytics/hash-customer-emails", (CodeRevision(GOVERNANCE_DAY, "v1: sha2 of e-mail"),)
)
EXPORT_CONTACTS = JobSpec(
    "marketing/export-contacts", (CodeRevision(GOVERNANCE_DAY, "v1: contact list export"),)
)
ERASE_SUBJECT = JobSpec(
    "privacy/erase-subject", (CodeRevision(GOVERNANCE_DAY, "v1: right-to-erasure deletes"),)
)

CRM_OWNER = "team:crm"
ANALYTICS_OWNER = "team:analytics"
TAG_SOURCE = "CRM"
CUSTOMER_TAGS = (("pii", "email"), ("customer_key", "customer_id"))
"""(tag, column) pairs the CRM export states in the ``tags`` facet of lake.crm.customers
(``phone`` is personal data too, but only the lineage.yaml rule says so)."""

HASH_SQL = "SELECT customer_id, sha2(email, 256) AS email_hash, country\nFROM lake.crm.customers"
CONTACTS_SQL = "SELECT customer_id, email, country\nFROM lake.crm.customers"


def customers_lineage(crm: DatasetRef) -> ColumnMapping:
    """The column lineage of crm/export-customers: each CRM column copied as it is."""
    return {name: [ColumnInput.of(crm, name)] for name in CUSTOMER_COLUMNS}


def hashed_lineage(customers: DatasetRef) -> ColumnMapping:
    """The column lineage of HASH_SQL: the e-mail reaches ``email_hash`` masked."""
    return {
        "customer_id": [ColumnInput.of(customers, "customer_id")],
        "email_hash": [ColumnInput.of(customers, "email", DIRECT, TRANSFORMATION, masking=True)],
        "country": [ColumnInput.of(customers, "country")],
    }


def contacts_lineage(customers: DatasetRef) -> ColumnMapping:
    """The column lineage of CONTACTS_SQL: three columns copied, the e-mail unmasked."""
    return {name: [ColumnInput.of(customers, name)] for name in ("customer_id", "email", "country")}


def owned_output(owner: str) -> dict[str, DatasetFacet]:
    """The ``ownership`` dataset facet naming OWNER."""
    owners = [ownership_dataset.Owner(name=owner, type="MAINTAINER")]
    return {"ownership": ownership_dataset.OwnershipDatasetFacet(owners=owners, producer=PRODUCER)}


def owned_job(owner: str) -> Mapping[str, JobFacet]:
    """The ``ownership`` job facet naming OWNER."""
    owners = [ownership_job.Owner(name=owner, type="MAINTAINER")]
    return {"ownership": ownership_job.OwnershipJobFacet(owners=owners, producer=PRODUCER)}


def customers_facets(customers: DatasetRef) -> ExtraFacets:
    """What crm/export-customers states about lake.crm.customers: tags and owner."""
    tags = tags_dataset.TagsDatasetFacet(
        tags=[
            tags_dataset.TagsDatasetFacetFields(
                key=tag, value="true", source=TAG_SOURCE, field=column
            )
            for tag, column in CUSTOMER_TAGS
        ],
        producer=PRODUCER,
    )
    facets: dict[str, DatasetFacet] = {"tags": tags, **owned_output(CRM_OWNER)}
    return ExtraFacets(job=owned_job(CRM_OWNER), outputs={customers.key: facets})


def hashed_facets(hashed: DatasetRef) -> ExtraFacets:
    """The analytics team owns the hashing job and its table."""
    outputs = {hashed.key: owned_output(ANALYTICS_OWNER)}
    return ExtraFacets(job=owned_job(ANALYTICS_OWNER), outputs=outputs)
