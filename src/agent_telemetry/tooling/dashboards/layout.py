"""Places panels on Grafana's 24-column grid, left to right, in rows; numbers them in order."""

from __future__ import annotations

from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.models.dashboard import GridPos, Panel, RowPanel

GRID_WIDTH = 24


class Grid:
    def __init__(self) -> None:
        self._panels: list[Panel | RowPanel] = []
        self._x = 0
        self._y = 0
        self._line_height = 0

    def _new_line(self) -> None:
        self._y += self._line_height
        self._x = 0
        self._line_height = 0

    def row(self, title: str) -> Grid:
        # An expanded row: its panels follow it at the top level (row.panels is for collapsed rows).
        self._new_line()
        self._panels.append(
            RowPanel(
                title=title,
                collapsed=False,
                grid_pos=GridPos(h=1, w=GRID_WIDTH, x=0, y=self._y),
                id_val=len(self._panels) + 1,
                panels=[],
            )
        )
        self._y += 1
        return self

    def add(self, panel: Builder[Panel], width: int, height: int = 8) -> Grid:
        if not 0 < width <= GRID_WIDTH:
            raise ValueError(f"panel width {width} is outside 1..{GRID_WIDTH}")
        if self._x + width > GRID_WIDTH:
            self._new_line()
        built = panel.build()
        built.id_val = len(self._panels) + 1
        built.grid_pos = GridPos(h=height, w=width, x=self._x, y=self._y)
        self._panels.append(built)
        self._x += width
        self._line_height = max(self._line_height, height)
        return self

    def panels(self) -> list[Panel | RowPanel]:
        return list(self._panels)
