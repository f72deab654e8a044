"""Authored bounding boxes of the Russian regions where the pilot's farms lie (docs/design.md §2).

No installed package ships region shapes, so each box is an approximation of the region's real extent,
shrunk a little inside its border so that a polygon inside the box is plausibly inside the region.
Order is GeoJSON's: (min longitude, min latitude, max longitude, max latitude).
"""

from __future__ import annotations

__all__ = ["REGION_BBOXES", "BBox", "region_bbox"]

BBox = tuple[float, float, float, float]

#: ISO 3166-2 code -> (min lon, min lat, max lon, max lat).
REGION_BBOXES: dict[str, BBox] = {
    "RU-BEL": (35.6, 50.1, 38.9, 51.2),  # Belgorod oblast
    "RU-KRS": (34.5, 51.1, 38.2, 52.2),  # Kursk oblast
    "RU-ALT": (79.0, 51.5, 86.5, 54.0),  # Altai krai
    "RU-AMU": (123.0, 51.0, 132.5, 56.0),  # Amur oblast
    "RU-ROS": (38.8, 46.4, 43.8, 49.8),  # Rostov oblast
    "RU-KDA": (37.3, 44.0, 41.2, 46.5),  # Krasnodar krai
    "RU-VOR": (38.5, 49.9, 42.5, 51.8),  # Voronezh oblast
    "RU-TAM": (40.5, 51.9, 42.7, 53.5),  # Tambov oblast
    "RU-LIP": (38.1, 52.1, 40.5, 53.4),  # Lipetsk oblast
    "RU-ORE": (51.5, 51.0, 61.0, 53.9),  # Orenburg oblast
    "RU-SAR": (43.0, 50.2, 50.3, 52.8),  # Saratov oblast
    "RU-PRI": (131.0, 43.0, 138.0, 47.8),  # Primorsky krai
    "RU-NVS": (75.8, 53.8, 84.5, 56.8),  # Novosibirsk oblast
    "RU-OMS": (71.0, 54.0, 75.8, 58.0),  # Omsk oblast
    "RU-STA": (41.3, 44.0, 45.3, 45.9),  # Stavropol krai
}


def region_bbox(region: str | None) -> BBox | None:
    """The authored bounding box of ``region``, or None when there is none."""
    if region is None:
        return None
    return REGION_BBOXES.get(region)
