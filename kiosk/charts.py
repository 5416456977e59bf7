"""Geometry for the organiser's server-drawn SVG charts (no chart library, no CDN)."""

import math
from collections import Counter

# Sixteen colours that stay apart from each other (Sasha Trubetskoy's list of distinct
# colours): the sixteen largest organisations get one each, the rest share OTHER.
PALETTE = ["#4363d8", "#e6194b", "#3cb44b", "#f58231", "#911eb4", "#42d4f4", "#f032e6",
           "#bfef45", "#469990", "#9a6324", "#800000", "#808000", "#000075", "#ffe119",
           "#fabed4", "#aaffc3"]
OTHER = "#a9a9a9"


def bar_chart(buckets, width=720, height=220, label_every=3):
    """Bars for counts per 10 minutes (arrivals, connections): [(label, count)] in."""
    if not buckets:
        return None
    top = max(count for _, count in buckets)
    step = width / max(len(buckets), 24)  # a lone bucket is a bar, not a block
    bars = [{
        "x": round(i * step + 1, 1), "width": round(max(step - 2, 1), 1),
        "height": round(count / top * (height - 30), 1), "count": count,
        "label": label if i % label_every == 0 else "", "time": label,
    } for i, (label, count) in enumerate(buckets)]
    for bar in bars:
        bar["y"] = round(height - 20 - bar["height"], 1)
    return {"bars": bars, "width": width, "height": height, "top": top, "base": height - 20,
            "top_y": round(height - 20 - (height - 30), 1)}


def network_picture(network, size=640):
    """Who met whom as a circle: people grouped by organisation around it (one colour
    each), a line for every connection. Deterministic and readable for a few hundred."""
    nodes = sorted(network["nodes"], key=lambda n: (n["organisation"].casefold(),
                                                     n["last_name"].casefold(), n["id"]))
    if not nodes:
        return None
    centre, radius = size / 2, size / 2 - 40
    position = {}
    for i, node in enumerate(nodes):
        angle = 2 * math.pi * i / len(nodes) - math.pi / 2
        position[node["id"]] = (round(centre + radius * math.cos(angle), 1),
                                round(centre + radius * math.sin(angle), 1))
    sizes = Counter(n["organisation"] for n in nodes)
    by_size = sorted(sizes, key=lambda org: (-sizes[org], org.casefold()))
    colour = {org: PALETTE[i] if i < len(PALETTE) else OTHER for i, org in enumerate(by_size)}
    legend = [(org, colour[org]) for org in by_size[:len(PALETTE)]]
    if len(by_size) > len(PALETTE):
        legend.append((f"{len(by_size) - len(PALETTE)} other organisations", OTHER))
    return {
        "size": size,
        "nodes": [{**n, "x": position[n["id"]][0], "y": position[n["id"]][1],
                   "colour": colour[n["organisation"]]} for n in nodes],
        "edges": [(*position[a], *position[b]) for a, b in network["edges"]],
        "legend": legend,
    }



def heat(count, top):
    """A heat-map cell's (background, text colour): white for none, then from a pale to a
    deep blue as `count` nears `top` (the faintest cell that holds anything still shows)."""
    if not count or not top:
        return "#ffffff", "#5d6679"
    share = 0.15 + 0.85 * count / top
    red, green, blue = (round(255 - (255 - full) * share) for full in (0x1f, 0x3a, 0x93))
    return f"rgb({red}, {green}, {blue})", "#ffffff" if share > 0.55 else "#1d2433"
