"""Typed settings from ``lineage.yaml`` and ``TEMPORAL_LINEAGE_*`` environment variables."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from temporal_lineage.commit_keys import DEFAULT_RUN_ID_KEYS
from temporal_lineage.errors import ConfigError, one_line
from temporal_lineage.governance_config import Governance, parse_governance
from temporal_lineage.hygiene_config import HygieneConfig, parse_hygiene
from temporal_lineage.model import Format
from temporal_lineage.operations_config import FreshnessRule, parse_freshness
from temporal_lineage.storable import find_unstorable

CONFIG_ENV = "TEMPORAL_LINEAGE_CONFIG"
STORE_ENV = "TEMPORAL_LINEAGE_STORE"
DEFAULT_CONFIG = "lineage.yaml"
DEFAULT_STORE = "sqlite:///lineage.db"

_SOURCE_KEYS = {
    "name",
    "format",
    "catalog",
    "root",
    "tables",
    "namespaces",
    "storage_options",
    "poll_interval",
    "run_id_keys",
}
_TOP_KEYS = {
    "store",
    "sources",
    "service",
    "classify",
    "governance",
    "policies",
    "freshness",
    "hygiene",
}
_SERVICE_KEYS = {
    "host",
    "port",
    "open_reads",
    "max_body_mb",
    "scheduler",
    "table_metrics",
    "table_metrics_limit",
}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


@dataclass(frozen=True)
class SourceConfig:
    """One configured source: an Iceberg catalog or root, or a set of Delta tables."""

    name: str
    format: Format
    catalog: Mapping[str, str] | None = None
    root: str | None = None
    tables: tuple[str, ...] = ()
    namespaces: tuple[str, ...] | None = None
    storage_options: Mapping[str, str] = field(default_factory=dict)
    poll_interval: timedelta = timedelta(seconds=60)
    run_id_keys: tuple[str, ...] = DEFAULT_RUN_ID_KEYS


@dataclass(frozen=True)
class ServiceConfig:
    """How ``serve`` runs: where it listens, whether reads need a token, body limits."""

    host: str = "127.0.0.1"
    port: int = 8750
    open_reads: bool = False
    max_body_mb: float = 16.0
    """Largest request body accepted, after decompression."""
    scheduler: bool = True
    """Run the background sync scheduler inside ``serve``."""
    table_metrics: bool = False
    """Export per-table lag and SLA-breach gauges on ``/metrics`` (opt-in)."""
    table_metrics_limit: int = 500
    """At most this many tables get gauges (the most lagging); the rest are counted."""


@dataclass(frozen=True)
class Settings:
    """Everything the product is configured with."""

    store_url: str
    sources: tuple[SourceConfig, ...] = ()
    config_path: Path | None = None
    service: ServiceConfig = field(default_factory=ServiceConfig)
    governance: Governance = field(default_factory=Governance)
    freshness: tuple[FreshnessRule, ...] = ()
    """``freshness:`` SLAs, first matching rule wins."""
    hygiene: HygieneConfig = field(default_factory=HygieneConfig)
    """``hygiene:`` window and thresholds of the cost-hygiene report."""

    def source(self, name: str) -> SourceConfig:
        """The source called ``name``.

        Raises:
            ConfigError: no such source.
        """
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none configured"
        raise ConfigError(f"unknown source {name!r} (known: {known})")


_LONGEST = timedelta(days=366)


def parse_duration(value: object, *, where: str) -> timedelta:
    """``60s``, ``5m``, ``1h``, ``1d``, ``250ms`` or a number of seconds.

    >>> parse_duration("5m", where="x")
    datetime.timedelta(seconds=300)
    """
    match = _DURATION.match(str(value))
    if isinstance(value, bool) or match is None:
        raise ConfigError(f"{where}: not a duration: {value!r:.60} (e.g. 60s, 5m, 1h)")
    seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if not 0 < seconds <= _LONGEST.total_seconds():
        raise ConfigError(f"{where}: duration {value!r:.60} is not between 0 and 366 days")
    return timedelta(seconds=seconds)


def load_settings(
    config: str | os.PathLike[str] | None = None,
    *,
    store: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Read settings: ``config``, else ``$TEMPORAL_LINEAGE_CONFIG``, else ``./lineage.yaml``.

    ``store`` (the ``--store`` flag) overrides ``$TEMPORAL_LINEAGE_STORE``, which overrides the
    file's ``store:``. Relative paths in the file are relative to the file's folder.

    Raises:
        ConfigError: the named file is missing or invalid.
    """
    env = os.environ if environ is None else environ
    explicit = config if config is not None else env.get(CONFIG_ENV)
    path = Path(explicit) if explicit else Path(DEFAULT_CONFIG)
    raw: Mapping[str, Any] = {}
    if path.is_file():
        raw = _read_yaml(path)
    elif explicit:
        raise ConfigError(f"config file not found: {path}")
    base = path.resolve().parent if path.is_file() else Path.cwd()
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise ConfigError(f"{path}: unknown key(s): {', '.join(sorted(unknown))}")
    store_url = store or env.get(STORE_ENV) or raw.get("store") or DEFAULT_STORE
    if not isinstance(store_url, str):
        raise ConfigError(f"{path}: store must be a URL string")
    sources_raw = raw.get("sources") or []
    if not isinstance(sources_raw, list):
        raise ConfigError(f"{path}: sources must be a list")
    sources = tuple(_source(item, i, base, path) for i, item in enumerate(sources_raw))
    names = [s.name for s in sources]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"{path}: duplicate source name(s): {', '.join(duplicates)}")
    return Settings(
        store_url=_absolute_store(store_url, base),
        sources=sources,
        config_path=path.resolve() if path.is_file() else None,
        service=_service(raw.get("service"), path),
        governance=parse_governance(
            raw.get("classify"), raw.get("governance"), raw.get("policies"), str(path)
        ),
        freshness=parse_freshness(raw.get("freshness"), str(path)),
        hygiene=parse_hygiene(raw.get("hygiene"), str(path)),
    )


def _service(raw: object, path: Path) -> ServiceConfig:
    if raw is None:
        return ServiceConfig()
    where = f"{path}: service"
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where} must be a mapping")
    unknown = set(raw) - _SERVICE_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s): {', '.join(sorted(unknown))}")
    defaults = ServiceConfig()
    host = raw.get("host", defaults.host)
    port = raw.get("port", defaults.port)
    limit = raw.get("max_body_mb", defaults.max_body_mb)
    if not isinstance(host, str) or not host:
        raise ConfigError(f"{where}.host must be a host name or address")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ConfigError(f"{where}.port must be a port number, not {port!r}")
    if isinstance(limit, bool) or not isinstance(limit, int | float) or limit <= 0:
        raise ConfigError(f"{where}.max_body_mb must be a positive number, not {limit!r}")
    flags = {}
    for key in ("open_reads", "scheduler", "table_metrics"):
        value = raw.get(key, getattr(defaults, key))
        if not isinstance(value, bool):
            raise ConfigError(f"{where}.{key} must be true or false, not {value!r}")
        flags[key] = value
    cap = raw.get("table_metrics_limit", defaults.table_metrics_limit)
    if isinstance(cap, bool) or not isinstance(cap, int) or not 1 <= cap <= 100_000:
        raise ConfigError(f"{where}.table_metrics_limit must be 1 to 100000, not {cap!r}")
    return ServiceConfig(
        host=host, port=port, max_body_mb=float(limit), table_metrics_limit=cap, **flags
    )


def _read_yaml(path: Path) -> Mapping[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: cannot read config: not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from exc
    except RecursionError:
        raise ConfigError(f"{path}: cannot read config: nested too deeply") from None
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read config: {one_line(exc)}") from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"{path}: the config must be a mapping")
    unusable = find_unstorable(loaded)
    if unusable is not None:  # a path or URL with a NUL or lone surrogate cannot be opened
        raise ConfigError(f"{path}: {unusable[0]}: {unusable[1]}")
    return loaded


def _source(item: object, index: int, base: Path, path: Path) -> SourceConfig:
    if not isinstance(item, dict):
        raise ConfigError(f"{path}: sources[{index}] must be a mapping")
    name = item.get("name")
    where = f"{path}: source {name!r}" if name else f"{path}: sources[{index}]"
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_\-]+", name):
        raise ConfigError(f"{where}: name must be letters, digits, '_' or '-' (no dots)")
    unknown = set(item) - _SOURCE_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s): {', '.join(sorted(unknown))}")
    try:
        fmt = Format(str(item.get("format")))
    except ValueError:
        raise ConfigError(f"{where}: format must be 'iceberg' or 'delta'") from None
    catalog = item.get("catalog")
    root = item.get("root")
    tables = item.get("tables") or []
    if catalog is not None and (fmt is not Format.ICEBERG or not isinstance(catalog, dict)):
        raise ConfigError(f"{where}: catalog is a mapping, for iceberg sources only")
    if root is not None and not isinstance(root, str):
        raise ConfigError(f"{where}: root must be a path or URI")
    if not isinstance(tables, list) or not all(isinstance(t, str) for t in tables):
        raise ConfigError(f"{where}: tables must be a list of paths or URIs")
    if tables and fmt is not Format.DELTA:
        raise ConfigError(f"{where}: tables (explicit URIs) is for delta sources")
    if sum(x is not None and x != [] for x in (catalog, root, tables or None)) != 1:
        raise ConfigError(f"{where}: give exactly one of catalog, root or tables")
    namespaces = item.get("namespaces")
    if namespaces is not None and (
        not isinstance(namespaces, list) or not all(isinstance(n, str) for n in namespaces)
    ):
        raise ConfigError(f"{where}: namespaces must be a list of names")
    options = item.get("storage_options") or {}
    if not isinstance(options, dict):
        raise ConfigError(f"{where}: storage_options must be a mapping")
    keys = item.get("run_id_keys") or list(DEFAULT_RUN_ID_KEYS)
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise ConfigError(f"{where}: run_id_keys must be a list of strings")
    return SourceConfig(
        name=name,
        format=fmt,
        catalog={str(k): str(v) for k, v in catalog.items()} if catalog else None,
        root=_absolute_location(root, base) if root else None,
        tables=tuple(_absolute_location(t, base) for t in tables),
        namespaces=tuple(namespaces) if namespaces is not None else None,
        storage_options={str(k): str(v) for k, v in options.items()},
        poll_interval=parse_duration(item.get("poll_interval", "60s"), where=where),
        run_id_keys=tuple(keys),
    )


def _absolute_location(location: str, base: Path) -> str:
    """A URI stays as it is; a relative local path becomes absolute against ``base``."""
    if "://" in location:
        return location
    return str((base / Path(location).expanduser()).resolve())


def _absolute_store(url: str, base: Path) -> str:
    """Make a relative SQLite path absolute against the config folder; normalise the driver."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith("sqlite:////"):
        rest = url[len(prefix) :]
        if rest and rest != ":memory:" and not rest.startswith("file:"):
            return prefix + str((base / rest).resolve())
    return url
