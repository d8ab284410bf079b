"""Write gateway/static/world.svg, the dashboard's offline map, from world-atlas's TopoJSON.

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python scripts/world_svg.py package/countries-110m.json > gateway/static/world.svg

world-atlas (ISC licence) packages Natural Earth's 1:110m country outlines (public domain).
The SVG uses the dashboard map's plain equirectangular frame: x = longitude, y = -latitude,
viewBox -180 -90 360 180, so a place's pin is drawn at (lon, -lat) over it.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def _arcs(topology: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """Arcs decoded from quantised, delta-encoded positions to longitude and latitude."""
    (scale_x, scale_y), (move_x, move_y) = topology["transform"]["scale"], topology["transform"]["translate"]
    decoded = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * scale_x + move_x, y * scale_y + move_y))
        decoded.append(points)
    return decoded


def _ring(arcs: list[list[tuple[float, float]]], indexes: list[int]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]  # a negative index is the arc reversed
        points.extend(arc if not points else arc[1:])
    return points


def _path(ring: list[tuple[float, float]]) -> str:
    coords = []
    previous = None
    for lon, lat in ring:
        point = (round(lon, 1), round(-lat, 1))
        if point != previous:
            coords.append(f"{point[0]:g} {point[1]:g}")
            previous = point
    return "M" + "L".join(coords) + "Z" if len(coords) > 2 else ""


def main(path: str) -> None:
    topology = json.load(open(path, encoding="utf-8"))
    arcs = _arcs(topology)
    shapes = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        polygons = geometry.get("arcs") or []
        if geometry["type"] == "Polygon":
            polygons = [polygons]
        d = "".join(_path(_ring(arcs, ring)) for polygon in polygons for ring in polygon)
        if d:
            name = geometry.get("properties", {}).get("name", "")
            shapes.append(f'<path data-name="{name}" d="{d}"/>')
    sys.stdout.write(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="-180 -90 360 180">\n'
        "<!-- Country outlines: Natural Earth 1:110m (public domain) via world-atlas 2.0.2 (ISC); "
        "made by scripts/world_svg.py -->\n"
        '<g fill="#e8e4d8" stroke="#b9b29c" stroke-width="0.25">\n' + "\n".join(shapes) + "\n</g>\n</svg>\n")


if __name__ == "__main__":
    main(sys.argv[1])
