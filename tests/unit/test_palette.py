"""One palette for every status: colour-blind-safe colours, readable text on each, and a symbol and a word, so no
status is told by colour alone."""
from __future__ import annotations

from analysis import palette
from analysis.report_blocks import legend_items
from analysis.text import catalogue


def test_the_colours_are_okabe_and_ito_s_or_grey():
    assert {s.colour for s in palette.STATUSES.values()} <= {*palette.OKABE_ITO.values(), palette.GREY}


def test_the_wcag_contrast_ratio_by_its_definition():
    # White on black is 21:1 and a colour on itself 1:1 (WCAG 2.1, "contrast ratio").
    assert palette.contrast("#FFFFFF", "#000000") == 21.0 and palette.contrast("#0072B2", "#0072B2") == 1.0


def test_every_status_s_text_reads_on_its_colour():
    # WCAG AA for text: at least 4.5:1.
    for name, st in palette.STATUSES.items():
        assert palette.contrast(st.colour, palette.text_on(st.colour)) >= 4.5, name


def test_statuses_that_share_a_colour_differ_by_symbol_and_every_one_has_a_word_in_both_languages():
    symbols = [s.symbol for s in palette.STATUSES.values() if s.colour != palette.GREY]
    assert len(symbols) == len(set(symbols))
    for lang in ("vi", "en"):
        words = catalogue(lang)["status"]
        assert set(words) == set(palette.STATUSES)
        assert [(s, w) for s, w, _ in legend_items(lang)] == [(s, words[s]) for s in palette.STATUSES]


def test_met_and_on_track_are_told_apart_by_colour():
    assert palette.STATUSES["achieved"].colour != palette.STATUSES["on_track"].colour


def test_the_pages_status_css_gives_each_status_its_colour():
    css = palette.css()
    for name, st in palette.STATUSES.items():
        assert f".s-{name} {{ background: {st.colour}; color: {palette.text_on(st.colour)}; }}" in css
