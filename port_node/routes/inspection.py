"""``GET /v1/inspection/sampling-keys/{day}``: a past day's inspection-sampling key, for auditors.

A day's key is published once the day is over: exporters cannot predict sampling, auditors can check it.

The port decides which submissions to hold for sampling with an HMAC of the submission digest under the
key of the UTC receive day (``schemas.sampling``). That key is published here once the day is over, and
never before: for today or a future day the answer is 404, so no exporter can compute in advance which
of its submissions will be held, and any auditor can check afterwards that each decision followed the
published ``samplingRate`` (``pilot audit`` does, from the public log entries).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter

from node_core.problems import ProblemError, problem_responses
from port_node.routes.deps import PortDep
from schemas.codes import Code
from schemas.phrase import Phrase
from schemas.receipt import b64

router = APIRouter(tags=["inspection"])

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@router.get(
    "/v1/inspection/sampling-keys/{day}",
    summary="A past day's inspection-sampling key",
    description="The HMAC-SHA256 key (base64) this port sampled submissions with on the UTC day `day` "
    "(`YYYY-MM-DD`): a submission was held for sampling when the first 8 bytes of HMAC-SHA256(key, "
    "its submission digest), read as a big-endian fraction of 2^64, were below the policy's `samplingRate`. "
    "Published only once the day is over: `404 NOT_FOUND` for today and later days.",
    responses=problem_responses(400, 404),
)
def get_sampling_key(day: str, port: PortDep) -> dict[str, Any]:
    """The key of a past UTC day."""
    try:
        when = date.fromisoformat(day) if _DAY.fullmatch(day) else None
    except ValueError:
        when = None
    if when is None:
        raise ProblemError(Code.REQUEST_INVALID, Phrase("the day is a UTC date, YYYY-MM-DD"))
    sampling = port.intake.sampling
    key = sampling.published(when, datetime.now(UTC).date()) if sampling is not None else None
    if key is None:
        raise ProblemError(Code.NOT_FOUND, Phrase("a day's sampling key is published once that UTC day is over"))
    return {
        "port": port.settings.node_id,
        "day": when.isoformat(),
        "algorithm": "HMAC-SHA256",
        "key": b64(key),
    }
