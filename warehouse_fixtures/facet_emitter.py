"""An EventEmitter that adds job and output-dataset facets to the events of chosen jobs.

``temporal_lineage.instrument.JobRun`` sends the facets it knows (``sourceCodeLocation``,
``sql``, ``version``, ``symlinks``, ``columnLineage``, ...) and has no parameter for others,
such as the ``tags`` and ``ownership`` facets a CRM export states about what it writes.
Wrapped around the real client, this emitter adds them to every event of the named job
(START and its end), so they still go out through openlineage-python's transport.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import attr
from openlineage.client.event_v2 import OutputDataset, RunEvent
from openlineage.client.facet_v2 import DatasetFacet, JobFacet

from temporal_lineage.instrument import EventEmitter


@dataclass(frozen=True)
class ExtraFacets:
    """The facets added to one job's events: on the job, and on some of its outputs."""

    job: Mapping[str, JobFacet] = field(default_factory=dict)
    outputs: Mapping[tuple[str, str], Mapping[str, DatasetFacet]] = field(default_factory=dict)
    """Output dataset (namespace, name) -> its facets."""


class FacetedEmitter:
    """Passes events on to CLIENT, adding the facets registered for their job (by name)."""

    def __init__(self, client: EventEmitter) -> None:
        self._client = client
        self._extra: dict[str, ExtraFacets] = {}

    def add(self, job: str, extra: ExtraFacets) -> None:
        """Add EXTRA to every later event of the job called JOB (replacing earlier ones)."""
        self._extra[job] = extra

    def emit(self, event: RunEvent) -> None:
        """Send EVENT, with the facets of its job when any are registered."""
        extra = self._extra.get(event.job.name)
        if extra is None:
            self._client.emit(event)
            return
        job = attr.evolve(event.job, facets={**(event.job.facets or {}), **extra.job})
        outputs = [_with_facets(o, extra.outputs) for o in event.outputs or []]
        self._client.emit(attr.evolve(event, job=job, outputs=outputs))


def _with_facets(
    output: OutputDataset, facets: Mapping[tuple[str, str], Mapping[str, DatasetFacet]]
) -> OutputDataset:
    added = facets.get((output.namespace, output.name))
    if not added:
        return output
    return attr.evolve(output, facets={**(output.facets or {}), **added})
