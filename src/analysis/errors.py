"""The project's one error type: every failure a user sees is one line naming where it happened."""
from __future__ import annotations


class AnalysisError(Exception):
    """An error for the user, located as precisely as we know (file, sheet, row, column)."""

    def __init__(self, message: str, *, file: str | None = None, sheet: str | None = None,
                 row: int | None = None, column: str | None = None) -> None:
        self.message, self.file, self.sheet, self.row, self.column = message, file, sheet, row, column
        super().__init__(self.line())

    def line(self) -> str:
        where = [f"{k} {v}" for k, v in (("file", self.file), ("sheet", self.sheet), ("row", self.row),
                                          ("column", self.column)) if v is not None]
        return f"{', '.join(where)}: {self.message}" if where else self.message
