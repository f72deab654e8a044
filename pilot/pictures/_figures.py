"""A consignment's pictures as one HTML fragment: its timeline, then a map of each farm, for any page to embed.

The fragment needs nothing from the page around it: the SVGs carry their own presentation attributes and
the figures their own ``style``, and nothing refers to a file, a font or a URL, so the demo's report and
the audit trail page stay single self-contained files. A farm whose boundary cannot be drawn gets a line
saying why instead of its map. The captions are in the command's language (``pilot.language``).
"""

from __future__ import annotations

from pilot.language import tr
from pilot.pictures._errors import PictureError
from pilot.pictures._farm_map import farm_map_svg
from pilot.pictures._markup import escaped
from pilot.pictures._story import ConsignmentStory, story_farms, story_milestones
from pilot.pictures._timeline import timeline_svg

__all__ = ["MAX_MAPS", "story_figures_html"]

#: Maps drawn per consignment at most (its farms come first).
MAX_MAPS = 6

#: Where markup goes into a translated sentence, after the sentence is escaped.
_MARK = "@@markup@@"
_FIGURE = 'style="display: inline-block; margin: 0 .8rem .8rem 0; vertical-align: top"'


def _maps(story: ConsignmentStory) -> str:
    figures = []
    facilities = story_farms(story)
    for facility in facilities[:MAX_MAPS]:
        try:
            svg = farm_map_svg(
                facility.boundary,
                name=facility.name,
                names=facility.names,
                facility_id=facility.id,
                region=facility.region,
            )
        except PictureError as exc:
            missing = escaped(tr("no map of {facility}: {problem}", facility=_MARK, problem=exc))
            figures.append(
                f'<p class="pilot-map-missing">{missing.replace(_MARK, f"<code>{escaped(facility.id)}</code>", 1)}</p>'
            )
            continue
        figures.append(f'<figure class="pilot-farm" {_FIGURE}>{svg}</figure>')
    if len(facilities) > MAX_MAPS:
        more = tr("{count} more facilities are not drawn.", count=len(facilities) - MAX_MAPS)
        figures.append(f"<p>{escaped(more)}</p>")
    if not figures:
        figures.append(f"<p>{escaped(tr('No facility record in clear with a boundary: no map to draw.'))}</p>")
    return "".join(figures)


def story_figures_html(story: ConsignmentStory) -> str:
    """The timeline and the farm maps of ``story`` as an HTML ``<div>`` (module doc)."""
    title = tr(
        "{consignment}: {exporter} to {port}",
        consignment=story.consignment_id,
        exporter=story.exporter,
        port=story.port,
    )
    timeline = timeline_svg(story_milestones(story), title=title)
    return (
        f'<div class="pilot-pictures" data-consignment="{escaped(story.consignment_id)}">'
        f'<figure class="pilot-timeline-figure" style="margin: .8rem 0">{timeline}</figure>'
        f'<div class="pilot-farm-maps">{_maps(story)}</div></div>'
    )
