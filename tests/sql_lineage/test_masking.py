"""Which outputs of a job's SQL mask their inputs (a tag stops there)."""

from __future__ import annotations

from temporal_lineage.governance_config import DEFAULT_MASKING_FUNCTIONS
from temporal_lineage.sql_lineage.masking import Masked, masked_outputs


def _masked(sql: str, dialect: str | None = None) -> dict[str, Masked]:
    return dict(masked_outputs(sql, dialect, DEFAULT_MASKING_FUNCTIONS))


def test_hash_functions_and_counts_mask() -> None:
    sql = (
        "SELECT customer_id, sha2(email, 256) AS email_hash, md5(lower(phone)) AS p, "
        "count(email) AS n, sha1(email) s1, xxhash64(email) h FROM crm.customers GROUP BY 1"
    )
    assert _masked(sql, "spark") == {
        "email_hash": Masked("sha2", counted=False),
        "p": Masked("md5", counted=False),
        "n": Masked("count", counted=True),
        "s1": Masked("sha1", counted=False),
        "h": Masked("xxhash64", counted=False),
    }


def test_a_column_outside_the_function_is_not_masked() -> None:
    assert _masked("SELECT concat(md5(x), y) AS z, upper(email) AS e FROM s") == {}


def test_insert_column_lists_name_the_outputs() -> None:
    found = _masked("INSERT INTO t (a, b) SELECT md5(x), y FROM s")
    assert found == {"a": Masked("md5", counted=False)}


def test_unparsable_sql_proves_no_stop() -> None:
    assert _masked("this is not sql (") == {}
