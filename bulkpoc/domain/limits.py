"""Stop when too much fails: how many rows of a file may fail before nothing of it is applied.

A limit is a count of rows (``10``) or a share of the file's rows (``5%``); a batch whose
failed rows are above it applies nothing, as All or nothing does for any failed row. Written
the same way on the command line, in the upload form, in the API and on a schedule, and kept
in the batch's options in that spelling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Short enough for the schedules table's column once written back (``str(limit)``).
_WRITTEN = re.compile(r"(?P<count>[0-9]{1,12})|(?P<percent>[0-9]{1,3}(?:\.[0-9]{1,4})?) *%")
# The same, as a JSON Schema pattern for the API (a percentage is at most 100).
PATTERN = r"^\s*(?:[0-9]{1,12}|(?:100(?:\.0{1,4})?|[0-9]{1,2}(?:\.[0-9]{1,4})?) *%)\s*$"
MAX_FAILED_HELP = (
    "Apply nothing when more rows fail than this: a number of rows (10) or a percentage of "
    "the file's rows (5%)."
)


@dataclass(frozen=True)
class FailureLimit:
    """At most ``amount`` failed rows, or ``amount`` percent of the rows when ``percent``."""

    amount: float
    percent: bool

    @classmethod
    def parse(cls, text: str) -> FailureLimit:
        """``"10"`` or ``"5%"`` (``" 2.5 %"`` too); ``ValueError`` with one sentence otherwise."""
        written = _WRITTEN.fullmatch(text.strip())
        if written is None:
            raise ValueError(
                f"{text!r} is not a limit of failed rows: write a number of rows such as 10, "
                "or a percentage of the file's rows such as 5%."
            )
        if written["count"] is not None:
            return cls(int(written["count"]), percent=False)
        amount = float(written["percent"])
        if amount > 100:
            raise ValueError(
                f"{text!r} is not a share of the rows: write a percentage from 0% to 100%, "
                "such as 5%."
            )
        return cls(amount, percent=True)

    def __str__(self) -> str:
        """The limit as it is written: ``5%`` or ``10``."""
        return f"{_number(self.amount)}%" if self.percent else str(int(self.amount))

    def exceeded(self, failed: int, total: int) -> bool:
        """Whether ``failed`` of ``total`` rows is above the limit."""
        if self.percent:
            return total > 0 and failed * 100 > self.amount * total
        return failed > self.amount

    def described(self) -> str:
        """The limit in a sentence: ``5%`` or ``10 failed rows``."""
        if self.percent:
            return str(self)
        return f"{int(self.amount):,} failed row" + ("" if self.amount == 1 else "s")

    def share(self, failed: int, total: int) -> str:
        """``failed`` of ``total`` as a percentage, precise enough to read as above a
        percentage limit (5.04% is not shown as 5%)."""
        share = failed * 100 / total if total else 0.0
        for digits in range(0, 4):
            shown = round(share, digits)
            if not self.percent or shown > self.amount or shown == share:
                return f"{_number(shown)}%"
        return f"{_number(round(share, 4))}%"


def normalised(text: str | None) -> str | None:
    """The limit as kept in a batch's options (None or blank: no limit); ``ValueError``."""
    if text is None or not text.strip():
        return None
    return str(FailureLimit.parse(text))


def _number(value: float) -> str:
    return f"{value:,.4f}".rstrip("0").rstrip(".")
