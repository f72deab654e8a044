"""Pictures where people would rather look than read: a consignment's timeline and its farms' maps, as inline SVG.

Pure: no network, no verification (callers say what verified); the only files read are the message
catalogues, for the labels, which are in the command's language (``pilot.language``). Drawn from the records
as they are (``ConsignmentStory``: ids, codes and values never translated), every text escaped, nothing
referring outside the page.

- ``farm_map_svg``: a farm's GeoJSON polygon (a ``Polygon``, or a ``MultiPolygon``), projected and scaled,
  with its name and id, a scale bar and a north arrow (``project_farm`` gives the drawn points);
- ``timeline_svg``: milestones (``Milestone``, ``Stage``) in time order, farm lot to cosigned checkpoint;
- ``story_milestones``, ``story_farms``: what a consignment's timeline and maps are drawn from;
- ``story_figures_html``: both, as one HTML fragment, for the demo's report and the audit trail page.

- ``escaped``: any text made safe inside HTML or XML (elements and quoted attributes).

Errors: ``PictureError(ValueError)``, a geometry that cannot be drawn, the message saying why.
"""

from __future__ import annotations

from pilot.pictures._errors import PictureError
from pilot.pictures._farm_map import FarmMap, farm_map_svg, project_farm
from pilot.pictures._figures import story_figures_html
from pilot.pictures._markup import escaped
from pilot.pictures._story import ConsignmentStory, Cosignature, Facility, story_farms, story_milestones
from pilot.pictures._timeline import Milestone, Stage, timeline_svg

__all__ = [
    "ConsignmentStory",
    "Cosignature",
    "Facility",
    "FarmMap",
    "Milestone",
    "PictureError",
    "Stage",
    "escaped",
    "farm_map_svg",
    "project_farm",
    "story_farms",
    "story_figures_html",
    "story_milestones",
    "timeline_svg",
]
