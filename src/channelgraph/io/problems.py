"""Problems found in input data, and the error that carries all of them."""

from __future__ import annotations

from dataclasses import dataclass

#: Values longer than this are shortened in messages (the full value stays in the data).
_SHOW = 60


@dataclass(frozen=True, order=True)
class Problem:
    """One problem: where (file, line as an editor shows it, column), what value, why."""

    file: str
    line: int | None
    column: str | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        parts = [where]
        if self.column is not None:
            parts.append(f"column {show_name(self.column)}")
        if self.value is not None:
            parts.append(f"value {_show(self.value)}")
        return ": ".join([", ".join(parts), self.reason])

    def to_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "column": self.column, "value": self.value, "reason": self.reason}


def show_name(name: str) -> str:
    """A column name for a message: as it is when every character shows on screen, else
    escaped like a value (``'src\\u200b'``) — an invisible character or a terminal escape
    sequence in a header must not hide in, or act on, the message."""
    return name if name.isprintable() else _show(name)


def _show(value: str) -> str:
    v = value if len(value) <= _SHOW else value[:_SHOW] + f"…(+{len(value) - _SHOW} chars)"
    return repr(v)


class DatasetError(ValueError):
    """A dataset that cannot be used; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line or 0, p.column or "", p.reason))
        n = len(self.problems)
        head = "\n".join(str(p) for p in self.problems[:20])
        more = f"\n… and {n - 20} more" if n > 20 else ""
        super().__init__(f"{n} problem{'s' if n != 1 else ''} in the dataset:\n{head}{more}")
