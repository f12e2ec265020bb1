"""The mapping step's form: what a person chose for each of our columns (a column of the file,
"not in this file", or one value for every row) and for the spellings of each mapped column's
values, read from the posted form or first from the guesses, and turned into a mapping.

Fields are named by positions, never by headers: ``col-I`` (``hN`` for the file's column N,
``const``, or empty), ``const-I`` (the value for every row), ``sp-I-J`` and ``sp-I-J-from`` (the
Jth value offered for our column I, and ours for it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bulkpoc.domain.guess import spelled_kind
from bulkpoc.domain.mapping import ColumnMapping
from bulkpoc.domain.records import ERROR_COLUMN, RecordType
from bulkpoc.services.mapping_step import FirstRows, Proposal, offered_values

CONSTANT = "const"
VALUE_CHARS = 320  # the longest cell of ours (an email address)


@dataclass
class Choice:
    """One of our columns and what the person chose for it."""

    index: int
    header: str
    required: bool
    kind: str | None  # what spellings it takes (guess.spelled_kind), or None
    chosen: str = ""  # "", "hN" or CONSTANT
    constant: str = ""
    spellings: list[tuple[str, str]] = field(default_factory=list)  # offered value, ours
    error: str | None = None

    @property
    def file_column(self) -> int | None:
        if self.chosen.startswith("h") and self.chosen[1:].isdigit():
            return int(self.chosen[1:])
        return None


@dataclass
class StepForm:
    """Every choice of the step for one held upload."""

    rtype: RecordType
    rows: FirstRows
    choices: list[Choice]

    @classmethod
    def proposed(cls, rtype: RecordType, rows: FirstRows, proposal: Proposal) -> StepForm:
        """The form as first shown: the guessed columns and spellings."""
        choices = _blank_choices(rtype)
        for choice in choices:
            at = proposal.columns.get(choice.header)
            choice.chosen = f"h{at}" if at is not None else ""
            _offer(choice, rows, proposal, {})
        return cls(rtype, rows, choices)

    @classmethod
    def posted(
        cls, rtype: RecordType, rows: FirstRows, form: Mapping[str, str], proposal: Proposal
    ) -> StepForm:
        """The form as the person sent it; spellings they left alone keep the guesses."""
        choices = _blank_choices(rtype)
        for choice in choices:
            chosen = form.get(f"col-{choice.index}", "")
            at = chosen[1:] if chosen.startswith("h") else ""
            valid = at.isdigit() and int(at) < len(rows.headers)
            choice.chosen = chosen if chosen == CONSTANT or valid else ""
            choice.constant = form.get(f"const-{choice.index}", "").strip()[:VALUE_CHARS]
            if choice.constant and not choice.chosen:
                choice.chosen = CONSTANT  # a value typed with "not in this file" chosen
            sent = {
                form[f"sp-{choice.index}-{j}-from"]: form.get(f"sp-{choice.index}-{j}", "")
                for j in range(64)
                if f"sp-{choice.index}-{j}-from" in form
            }
            _offer(choice, rows, proposal, sent)
        return cls(rtype, rows, choices)

    def mapping(self) -> ColumnMapping:
        """The mapping these choices make, for files with this file's headers."""
        columns, constants, values = {}, {}, {}
        for choice in self.choices:
            at = choice.file_column
            if at is not None:
                columns[choice.header] = self.rows.headers[at]
                spelt = {theirs: ours for theirs, ours in choice.spellings if ours.strip()}
                spelt = {theirs: ours.strip() for theirs, ours in spelt.items() if theirs != ours}
                if spelt:
                    values[choice.header] = spelt
            elif choice.chosen == CONSTANT and choice.constant:
                constants[choice.header] = choice.constant
        return ColumnMapping(
            record_type=self.rtype.name,
            columns=columns,
            constants=constants,
            values=values,
            headers=tuple(self.rows.headers),
        )

    def check(self) -> list[Choice]:
        """The choices that keep the file from being read, each with its one sentence."""
        for choice in self.choices:
            if choice.chosen == CONSTANT and not choice.constant:
                choice.error = (
                    f"Type the value every row takes for {choice.header}, or choose a column "
                    "of the file."
                )
            elif choice.required and not choice.chosen:
                choice.error = (
                    f"{choice.header} is required: choose the file's column that holds it, or "
                    "a value for every row."
                )
        return [choice for choice in self.choices if choice.error]


def _blank_choices(rtype: RecordType) -> list[Choice]:
    required = set(rtype.required_headers)
    return [
        Choice(index, header, header in required, spelled_kind(rtype, header))
        for index, header in enumerate(rtype.headers)
        if header != ERROR_COLUMN
    ]


def _offer(choice: Choice, rows: FirstRows, proposal: Proposal, sent: dict[str, str]) -> None:
    """Offer a spelling for each value of the chosen file column that is not ours already:
    what the person sent for it, else the guess (for the column guessed), else nothing."""
    at = choice.file_column
    if choice.kind is None or at is None:
        choice.spellings = []
        return
    same = proposal.columns.get(choice.header) == at
    guessed = proposal.spellings.get(choice.header, {}) if same else {}
    choice.spellings = [
        (value, sent[value] if value in sent else guessed.get(value, ""))
        for value in offered_values(rows, at, choice.kind, proposal.known)
    ]
