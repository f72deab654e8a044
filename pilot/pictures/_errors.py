"""The one error of ``pilot.pictures``: the input cannot be drawn, and the message says why."""

from __future__ import annotations

__all__ = ["PictureError"]


class PictureError(ValueError):
    """A picture cannot be drawn from this input (a geometry that is not a GeoJSON polygon, too many points)."""
