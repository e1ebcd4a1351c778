"""Set-up of the Airflow end-to-end test: a cached Airflow virtualenv, a live ``serve``.

The virtualenv is built from ``airflow_requirements.txt`` with the registry's ordinary
client (``python -m venv`` + ``pip install -r``) under
``$XDG_CACHE_HOME/temporal-lineage/airflow-<hash of the requirements and Python>`` (default
``~/.cache``), outside the repo, so later runs reuse it; a missing or half-built one is
built from scratch (a file lock keeps two test processes from building it at once). A venv
that cannot be built skips the test with the reason outside CI and fails it with
``CI=true``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.api.live import ServeProcesses

HERE = Path(__file__).parent
REQUIREMENTS = HERE / "airflow_requirements.txt"
DAGS_FOLDER = HERE / "airflow_dags"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
BUILD_TIMEOUT_S = 1500.0

MARKER = ".temporal-lineage-complete"
"""Written last into a venv whose install and import check passed (holds the timing)."""


class VenvUnavailable(Exception):
    """The Airflow virtualenv could not be built (the message says why)."""


def unavailable(reason: str) -> None:
    """Skip outside CI, fail in CI: the Airflow end to end must run there."""
    if IN_CI:
        pytest.fail(f"CI=true requires the Airflow end-to-end test to run: {reason}")
    pytest.skip(reason)


def requirements_hash() -> str:
    """The first 16 hex digits of the SHA-256 of the requirements and of the Python version
    the venv is made with (a venv does not survive its interpreter's upgrade)."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes())
    digest.update(f"python{sys.version_info.major}.{sys.version_info.minor}".encode())
    return digest.hexdigest()[:16]


def venv_path() -> Path:
    """Where the venv of the current requirements lives (outside the repo)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "temporal-lineage" / f"airflow-{requirements_hash()}"


@dataclass(frozen=True)
class AirflowVenv:
    """A built Airflow virtualenv and how it came to be."""

    path: Path
    reused: bool
    build_seconds: float
    """Seconds the build took (the recorded figure when the venv was reused)."""

    @property
    def bin(self) -> Path:
        return self.path / "bin"


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _run_step(command: list[str], *, timeout: float, what: str) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise VenvUnavailable(f"{what} took longer than {timeout:.0f}s") from exc
    except OSError as exc:
        raise VenvUnavailable(f"{what} could not start: {exc}") from exc
    if done.returncode != 0:
        raise VenvUnavailable(
            f"{what} exited with {done.returncode}:\n{_tail(done.stdout + done.stderr)}"
        )


def build_venv(target: Path) -> AirflowVenv:
    """The venv at ``target``, built from the requirements unless a complete one is there."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with (target.parent / f"{target.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        marker = target / MARKER
        if marker.exists():
            recorded = json.loads(marker.read_text())
            return AirflowVenv(target, True, float(recorded["build_seconds"]))
        shutil.rmtree(target, ignore_errors=True)  # a half-built one from an interrupted run
        started = time.monotonic()
        _run_step([sys.executable, "-m", "venv", str(target)], timeout=300, what="python -m venv")
        python = str(target / "bin" / "python")
        remaining = BUILD_TIMEOUT_S - (time.monotonic() - started)
        _run_step(
            [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
            + ["-r", str(REQUIREMENTS)],
            timeout=remaining,
            what=f"pip install -r {REQUIREMENTS.name}",
        )
        check = (
            "import airflow.sdk, airflow.providers.openlineage, pyiceberg.catalog.sql, deltalake"
        )
        _run_step([python, "-c", check], timeout=300, what="importing Airflow in the venv")
        seconds = time.monotonic() - started
        marker.write_text(json.dumps({"build_seconds": round(seconds, 1)}))
        return AirflowVenv(target, False, seconds)


@pytest.fixture(scope="session")
def airflow_venv() -> AirflowVenv:
    """The cached Airflow virtualenv (built on first use; skipped or failed when impossible)."""
    if sys.platform == "win32":
        unavailable("the Airflow end to end runs on POSIX only")
    try:
        return build_venv(venv_path())
    except VenvUnavailable as exc:
        unavailable(f"the Airflow virtualenv could not be built: {exc}")
        raise  # unreachable: unavailable() always raises


# --- a live serve ------------------------------------------------------------------------


def cli(config: Path, *args: str) -> str:
    """Run a ``temporal-lineage`` command against ``config`` (in this process); its stdout."""
    from click.testing import CliRunner

    from temporal_lineage.cli.main import cli as command_line

    result = CliRunner().invoke(command_line, [*args, "--config", str(config)])
    assert result.exit_code == 0, f"temporal-lineage {' '.join(args)}: {result.output[-2000:]}"
    return result.stdout


def cli_json(config: Path, *args: str) -> Any:
    """A command's json answer."""
    return json.loads(cli(config, *args, "--format", "json"))


@dataclass(frozen=True)
class LiveServer:
    """A running ``temporal-lineage serve``."""

    url: str
    log: Path


@pytest.fixture(scope="session")
def serve_live() -> Iterator[Any]:
    """Start ``serve --no-scheduler`` on a free port for a config; all stop at the end."""
    processes = ServeProcesses()

    def start(config: Path) -> LiveServer:
        return LiveServer(*processes.start(config))

    try:
        yield start
    finally:
        processes.stop()


# --- running Airflow ---------------------------------------------------------------------


def airflow_environment(
    venv: AirflowVenv, home: Path, warehouse: Path, server: str, token: str
) -> dict[str, str]:
    """The environment of the ``airflow`` commands: home in tmp, the HTTP transport to
    ``server`` with ``token`` (the provider's api_key auth sends it as a Bearer token)."""
    transport = {
        "type": "http",
        "url": server,
        "endpoint": "api/v1/lineage",
        "timeout": 30,
        "auth": {"type": "api_key", "apiKey": token},
    }
    keep = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "LC_ALL", "TMPDIR")}
    return {
        **keep,
        "PATH": f"{venv.bin}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "VIRTUAL_ENV": str(venv.path),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__OPENLINEAGE__NAMESPACE": "airflow-e2e",
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(transport),
        "TL_E2E_ROOT": str(warehouse),
    }


def run_airflow(
    venv: AirflowVenv, env: dict[str, str], *args: str, log: Path, timeout: float = 300
) -> str:
    """Run ``airflow ARGS`` in the venv; its output (also written to ``log``)."""
    try:
        done = subprocess.run(
            [str(venv.bin / "airflow"), *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=env["AIRFLOW_HOME"],
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"airflow {' '.join(args)} took longer than {timeout}s: {exc.output!r:.2000}")
    output = done.stdout + done.stderr
    log.write_text(output)
    command = " ".join(args)
    assert done.returncode == 0, f"airflow {command} exited {done.returncode}: {_tail(output, 40)}"
    return output
