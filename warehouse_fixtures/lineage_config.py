"""The lineage.yaml that points the temporal-lineage service at a built warehouse."""

from __future__ import annotations

import json
from pathlib import Path

from warehouse_fixtures.delta_tables import DELTA_DIR, DELTA_SOURCE
from warehouse_fixtures.iceberg_tables import CATALOG_NAME, catalog_properties

CONFIG_FILE = "lineage.yaml"
POLL_INTERVAL = "60s"

GOVERNANCE_KEYS_ENABLED = True
"""Write the ``classify``, ``governance`` and ``policies`` keys (off for a service whose
config parser predates them)."""

GOVERNANCE_TEXT = """\
classify:                             # tags by rule, applied to every schema version
  - {tag: pii, column: "(?i)^(email|phone)$"}
  - {tag: customer_key, column: "^customer_id$", table: "lake.crm.*"}
governance:
  masking_functions: [sha1, sha2, md5, hash, mask, xxhash64, crc32]
  propagate_indirect: false
policies:
  - {name: pii-confined, kind: confined, tag: pii,
     namespaces: ["lake.crm.*", "lake.secure.*"], unless_masked: true}
  - {name: pii-owned, kind: owner_required, tag: pii}
  - {name: pii-retention, kind: retention, tag: pii, max_age: 30d}
freshness:                            # SLA per table glob (first match wins)
  - {table: "lake.raw.*", sla: 1h}
  - {table: "*", sla: 1d}
"""


def lineage_config_text(root: Path) -> str:
    """Return the YAML text of the service configuration for the warehouse at ROOT."""
    props = catalog_properties(root)
    # JSON strings are valid YAML double-quoted scalars, so any path is quoted safely.
    uri = json.dumps(props["uri"])
    warehouse = json.dumps(props["warehouse"])
    return (
        "# temporal-lineage configuration for a warehouse built by warehouse_fixtures\n"
        "store: sqlite:///lineage.db          # relative to this file's folder\n"
        "sources:\n"
        f"  - name: {CATALOG_NAME}\n"
        "    format: iceberg\n"
        f"    catalog: {{type: {props['type']}, uri: {uri}, warehouse: {warehouse}}}\n"
        f"    poll_interval: {POLL_INTERVAL}\n"
        f"  - name: {DELTA_SOURCE}\n"
        "    format: delta\n"
        f"    root: {DELTA_DIR}                      # relative to this file's folder\n"
        f"    poll_interval: {POLL_INTERVAL}\n"
    ) + (GOVERNANCE_TEXT if GOVERNANCE_KEYS_ENABLED else "")


def write_lineage_config(root: Path) -> Path:
    """Write ROOT/lineage.yaml and return its path."""
    target = root / CONFIG_FILE
    target.write_text(lineage_config_text(root), encoding="utf-8")
    return target
