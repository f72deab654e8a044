"""Where the kit's own port (``port_standin``) gets credentials' status lists, and the faults it can have.

docs/design.md §12. The stand-in decides exactly as a port does, status included, so it needs the lists a
port would fetch from the registry:

- ``sandbox_status_lists(material)``: the data dir's ``status-lists/<issuer>/<list>.json`` (written by
  ``pilot init``, and kept current by ``pilot status`` for the issuers that are not nodes), or, for a data
  dir made before status lists existed, the sandbox's generation-0 lists (``fixture_status_lists``);
- with a registry (``--registry`` of ``pilot conformance run``, or the data dir's ``network.json``), a
  ``RegistryStatusLists`` over it after those files, for the lists that live only there (an exporter's own
  generation-1 lists): ``FirstFound`` asks each source in turn.

The faulty stand-ins' status faults (``standins``): ``ignore_status`` (no lookup: the status is never
checked) and ``unsafe_status_fail_open`` (an assessor that takes a status it could not establish as good).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from node_core.status_cache import RegistryStatusLists
from pilot.conformance.material import KitMaterial
from pilot.network_file import read_record
from pilot.sandbox import build_sandbox, fixture_status_lists
from pilot.status_files import read_status_list_file, status_list_files
from schemas.assess import Assessment, assess_submission
from schemas.codes import Code
from schemas.status_list import StaticStatusLists, StatusList, StatusLookup, StatusUnavailable
from schemas.trust import TrustRegistry

__all__ = ["FirstFound", "registry_of", "sandbox_status_lists", "standin_status", "unsafe_status_fail_open"]


@dataclass(frozen=True)
class FirstFound:
    """A ``StatusLookup`` that asks ``sources`` in turn: the first verified list wins, else the last reason."""

    sources: Sequence[StatusLookup]

    def status_list(self, url: str, trust: TrustRegistry, at: datetime) -> StatusList | StatusUnavailable:
        """The first source's list that it can give for ``url``."""
        answer: StatusList | StatusUnavailable = StatusUnavailable("no status list source is configured")
        for source in self.sources:
            answer = source.status_list(url, trust, at)
            if isinstance(answer, StatusList):
                return answer
        return answer


def sandbox_status_lists(material: KitMaterial) -> StaticStatusLists:
    """The data dir's status list files, else the sandbox's generation-0 lists (module doc)."""
    files = status_list_files(material.data_dir)
    if files:
        return StaticStatusLists(read_status_list_file(path) for path in files)
    return StaticStatusLists(fixture_status_lists(build_sandbox()).values())


@contextmanager
def standin_status(material: KitMaterial, registry_url: str | None) -> Iterator[StatusLookup]:
    """The stand-in port's status lookup: the sandbox's lists, then the registry at ``registry_url`` if given."""
    files = sandbox_status_lists(material)
    if registry_url is None:
        yield files
        return
    registry = RegistryStatusLists(lambda: registry_url)
    try:
        yield FirstFound([files, registry])
    finally:
        registry.close()


def registry_of(data_dir: Path) -> str | None:
    """The registry's URL in the data dir's ``network.json`` (a running ``pilot up`` network), if any."""
    record = read_record(data_dir)
    entry = record.nodes.get("registry") if record is not None else None
    return entry.url if entry is not None else None


def unsafe_status_fail_open(document: Any, trust: TrustRegistry, **options: Any) -> Assessment:
    """DANGER: the port's assessment, except that a status it could not establish counts as good.

    Only for the ``port-status-fails-open`` stand-in, whose whole point is to be wrong: a submission held
    only because a status list was unavailable is accepted, its ``STATUS_UNAVAILABLE`` reasons dropped.
    """
    assessment = assess_submission(document, trust, **options)
    unknown = [r for r in assessment.reasons if r.code == Code.STATUS_UNAVAILABLE]
    if unknown and assessment.decision == "held_for_inspection" and not assessment.sampled:
        assessment.reasons = [r for r in assessment.reasons if r.code != Code.STATUS_UNAVAILABLE]
        assessment.decision = "accepted"
    return assessment
