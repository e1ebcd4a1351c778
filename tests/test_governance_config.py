"""The governance keys of lineage.yaml: typed, and every mistake a one-line error."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from temporal_lineage.config import load_settings
from temporal_lineage.errors import ConfigError
from temporal_lineage.governance_config import DEFAULT_MASKING_FUNCTIONS, PolicyKind

CONTRACT = """
classify:
  - {tag: pii, column: "(?i)^(email|phone|ssn)$"}
  - {tag: finance, table: "lake.finance.*"}
governance:
  masking_functions: [sha1, sha2, md5, hash, mask, xxhash64, crc32]
  propagate_indirect: false
  owners: {"lake.finance.*": ["team:finance"]}
policies:
  - {name: pii-confined, kind: confined, tag: pii, namespaces: ["lake.secure.*"],
     unless_masked: true}
  - {name: pii-owned, kind: owner_required, tag: pii}
  - {name: pii-retention, kind: retention, tag: pii, max_age: 30d}
  - {name: pii-readers, kind: allowed_readers, tag: pii, jobs: ["analytics/*"]}
"""


def _load(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "lineage.yaml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path).governance


def test_the_contract_example_parses(tmp_path: Path) -> None:
    governance = _load(tmp_path, CONTRACT)
    pii, finance = governance.rules
    assert pii.matches_column("EMAIL", "string") and not pii.matches_column("emails", "string")
    assert finance.matches_table("lake.finance.ledger") and not finance.tags_columns
    assert governance.masking_functions == DEFAULT_MASKING_FUNCTIONS
    assert [p.kind for p in governance.policies] == list(PolicyKind)
    assert governance.policy("pii-retention").max_age == timedelta(days=30)
    assert governance.policy("pii-readers").allows_job("analytics/daily")
    assert governance.owners_of("lake.finance.ledger") == ("team:finance",)
    assert _load(tmp_path, "").policies == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("classify: [{tag: pii}]", r"classify\[0\]: give at least one of column, table or type"),
        ("classify: [{tag: 'a b', column: x}]", "not a tag name"),
        ("classify: [{tag: pii, column: '('}]", "column is not a regular expression"),
        ("classify: [{tag: pii, colum: x}]", "unknown key"),
        ("policies: [{name: p, kind: nope, tag: pii}]", "kind must be one of"),
        ("policies: [{name: p, kind: retention, tag: pii}]", "max_age is required"),
        ("policies: [{name: p, kind: retention, tag: pii, max_age: soon}]", "not an age"),
        ("policies: [{name: p, kind: confined, tag: pii}]", "namespaces must be"),
        ("policies: [{name: p, kind: owner_required, tag: pii, jobs: [x]}]", "unknown key"),
        (
            "policies: [{name: p, kind: owner_required, tag: a}, "
            "{name: p, kind: owner_required, tag: b}]",
            "duplicate policy name",
        ),
        ("governance: {propagate_indirect: sometimes}", "must be true or false"),
        ("governance: {masking: []}", "unknown key"),
    ],
)
def test_mistakes_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        _load(tmp_path, text)
    assert "\n" not in str(caught.value)
