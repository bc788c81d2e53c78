"""One status vocabulary and one palette for every page: each status's colour (Okabe & Ito's colour-blind-safe
set, with grey for no judgement), the text colour that reads on it, and a symbol, so that no cell, badge or legend
depends on colour alone. The pages' status CSS is generated from here; charts and maps take the same colours."""
from __future__ import annotations

from typing import NamedTuple

# Okabe, M. & Ito, K. (2008), "Color Universal Design": eight colours told apart under the common colour-vision
# deficiencies (https://jfly.uni-koeln.de/color/).
OKABE_ITO = {"black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73",
             "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish_purple": "#CC79A7"}
GREY = "#8C8C8C"


class Style(NamedTuple):
    colour: str
    symbol: str


# In the order a legend lists them. Met and on track are different colours (a deadline passed or not); missed and
# off track share vermillion and differ by symbol and word (one is final, the other a projection).
STATUSES: dict[str, Style] = {
    "achieved": Style(OKABE_ITO["bluish_green"], "✔"),
    "achieved_late": Style(OKABE_ITO["sky_blue"], "◑"),
    "missed": Style(OKABE_ITO["vermillion"], "✘"),
    "on_track": Style(OKABE_ITO["blue"], "↗"),
    "at_risk": Style(OKABE_ITO["orange"], "!"),
    "off_track": Style(OKABE_ITO["vermillion"], "↘"),
    "insufficient_data": Style(GREY, "?"),
    "no_data": Style(GREY, "○"),
}


def _luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_on(colour: str) -> str:
    """Black or white, whichever reads better on the colour."""
    return "#000000" if contrast(colour, "#000000") >= contrast(colour, "#FFFFFF") else "#FFFFFF"


def symbol(status: str) -> str:
    return STATUSES.get(status, STATUSES["no_data"]).symbol


def label(status: str, lang: str) -> str:
    """The status as every page writes it: its symbol and its word ("✔ Đã đạt")."""
    from analysis.text import catalogue
    return f"{symbol(status)} {catalogue(lang)['status'].get(status, status)}"


def vega_scale(lang: str) -> dict:
    """The colour scale of the charts and maps: every status's label to its colour, in the legend's order."""
    return {"domain": [label(s, lang) for s in STATUSES], "range": [st.colour for st in STATUSES.values()]}


def css() -> str:
    """The status classes of the pages (badges, grid cells, card borders), one rule set per status."""
    rules = []
    for name, st in STATUSES.items():
        rules.append(f".s-{name} {{ background: {st.colour}; color: {text_on(st.colour)}; }}")
        rules.append(f".card.s-{name} {{ border-left-color: {st.colour}; background: #fff; color: inherit; }}")
    return "\n".join(rules)
