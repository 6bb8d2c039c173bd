"""Bar charts drawn on the server as inline SVG: no JavaScript, no inline styles (colours
are SVG presentation attributes and classes of consult.css). Each chart is an image with a
title and a text alternative that reads out every value; the page shows its data table
right next to it.

The SVG has no viewBox: it is as wide as its box, heights and text are in pixels and bars
in per cent of the width. Text therefore keeps its size on a phone (a 600-unit drawing
shrunk to a phone's width had 9-pixel labels), and each label sits on its own line above
its bar, where it has the whole width."""

from __future__ import annotations

from dataclasses import dataclass, field

from consult.directory.models import GENDER_LABELS, Gender
from consult.reports.queries import GENDERS

PLOT = 85.0  # per cent of the width for the longest bar; its number follows it
LABEL_HEIGHT = 20  # a label's line above its bar
BAR_HEIGHT = 22
ROW_HEIGHT = LABEL_HEIGHT + BAR_HEIGHT + 10
TOP = 2
FONT_SIZE = 15
# on a phone's 358 pixels, about as many Cyrillic capitals as fit at 15 pixels
LABEL_CHARACTERS = 34
# WCAG 1.4.11: at least 3:1 against white, and distinct from each other
COLOURS = {"female": "#0b4f8a", "male": "#b35806", "other": "#5e3c99",
           "undisclosed": "#5f6368", "bar": "#0b4f8a", "recorded": "#0b4f8a",
           "aggregate": "#b35806"}


@dataclass
class Segment:
    key: str
    label: str
    value: int
    x: float
    width: float

    @property
    def fill(self) -> str:
        return COLOURS.get(self.key, COLOURS["bar"])


@dataclass
class Bar:
    label: str
    short_label: str
    total: int
    y: float
    segments: list[Segment]

    @property
    def label_y(self) -> float:
        """The baseline of the label, on its line above the bar."""
        return self.y - LABEL_HEIGHT + FONT_SIZE

    @property
    def text_y(self) -> float:
        return self.y + BAR_HEIGHT / 2 + FONT_SIZE * 0.35

    @property
    def value_x(self) -> float:
        """Where the bar ends, in per cent (its number starts a few pixels further)."""
        return max((s.x + s.width for s in self.segments), default=0.0)


@dataclass
class Chart:
    id: str
    title: str
    bars: list[Bar]
    legend: list[tuple[str, str, str]] = field(default_factory=list)  # key, label, fill

    @property
    def height(self) -> int:
        return TOP * 2 + ROW_HEIGHT * max(len(self.bars), 1)

    @property
    def bar_height(self) -> int:
        return BAR_HEIGHT

    @property
    def font_size(self) -> int:
        return FONT_SIZE

    @property
    def summary(self) -> str:
        """The text alternative: the title, then every bar and its parts."""
        parts = []
        for bar in self.bars:
            if len(bar.segments) > 1 or self.legend:
                detail = ", ".join(f"{s.label} {s.value}" for s in bar.segments)
                parts.append(f"{bar.label}: {bar.total} ({detail})")
            else:
                parts.append(f"{bar.label}: {bar.total}")
        return f"{self.title}. " + "; ".join(parts) + "."

    @property
    def empty(self) -> bool:
        return not any(bar.total for bar in self.bars)


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARACTERS else label[:LABEL_CHARACTERS - 1] + "…"


def bar_chart(chart_id: str, title: str, items: list[tuple[str, int]]) -> Chart:
    """One bar per item, the longest across the plot area."""
    return stacked_chart(chart_id, title, [(label, [("bar", label, value)])
                                           for label, value in items], legend=False)


def stacked_chart(chart_id: str, title: str,
                  items: list[tuple[str, list[tuple[str, str, int]]]],
                  legend: bool = True) -> Chart:
    """A horizontal bar per item, made of segments (key, label, value) side by side; x and
    widths in per cent of the chart's width."""
    plot = PLOT
    largest = max((sum(v for _, _, v in parts) for _, parts in items), default=0) or 1
    bars = []
    for index, (label, parts) in enumerate(items):
        x = 0.0
        segments = []
        for key, part_label, value in parts:
            width = plot * value / largest
            segments.append(Segment(key, part_label, value, round(x, 2), round(width, 2)))
            x += width
        bars.append(Bar(label, _short(label), sum(v for _, _, v in parts),
                        TOP + index * ROW_HEIGHT + LABEL_HEIGHT, segments))
    keys = []
    for _label, parts in items:
        for key, part_label, _value in parts:
            if key not in [k for k, _, _ in keys]:
                keys.append((key, part_label, COLOURS.get(key, COLOURS["bar"])))
    return Chart(chart_id, title, bars, keys if legend else [])


def gender_parts(counts: dict[str, int]) -> list[tuple[str, str, int]]:
    return [(g, str(GENDER_LABELS[Gender(g)]), counts[g]) for g in GENDERS]

