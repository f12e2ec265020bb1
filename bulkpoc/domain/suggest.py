"""Suggestions for a skill, script or chat profile name that does not exist ("did you mean…?").

Each distinct unknown name is matched once (per media type of the rows that give it), never
once per row: a file may repeat the same typo on 100,000 rows. rapidfuzz scores a name
against 10,000 names in about a millisecond, where difflib takes about 150
(benchmarks/suggest.py), which matters when a file names hundreds of missing skills.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bulkpoc.domain.errors.codes import did_you_mean

SHOWN = 3  # names a suggestion lists at most
CUTOFF = 60  # similarity (0-100, as difflib's ratio x 100) a name needs to be suggested
MARGIN = 10  # names this much less similar than the closest are left out: they are noise


@dataclass(frozen=True)
class Candidates:
    """Existing names to match against: folded keys and the names as they are displayed."""

    keys: list[str]
    names: list[str]

    @classmethod
    def of(cls, table: pd.DataFrame) -> Candidates:
        return cls(table["name_key"].tolist(), table["name"].tolist())


def closest_names(key: str, preferred: Candidates, others: Candidates) -> list[str]:
    """Up to SHOWN names closest to the folded ``key``, the ``preferred`` ones first.

    Preferred names are those valid for the row (a skill of its media type); the others
    still exist, so they follow when they are as close.
    """
    from rapidfuzz import fuzz, process  # only a file with unknown names pays for it

    scored: list[tuple[bool, float, str]] = []
    for is_other, candidates in enumerate((preferred, others)):
        found = process.extract(
            key, candidates.keys, scorer=fuzz.ratio, limit=SHOWN, score_cutoff=CUTOFF
        )
        scored += [(bool(is_other), score, candidates.names[at]) for _, score, at in found]
    if not scored:
        return []
    best = max(score for _, score, _ in scored)
    close = [entry for entry in scored if entry[1] >= best - MARGIN]
    close.sort(key=lambda entry: (entry[0], -entry[1]))
    return [name for _, _, name in close[:SHOWN]]


def suggestions(keys: pd.Series, table: pd.DataFrame, media: pd.Series | None) -> pd.Series:
    """For each row's unknown folded name, the ``did_you_mean`` text of UNKNOWN_REFERENCE.

    ``table`` holds the existing records (``name``, ``name_key`` and maybe ``media_type``);
    ``media`` is each row's media type, when the row has one: names of that media type are
    preferred.
    """
    if media is None or "media_type" not in table:
        row_media = pd.Series("", index=keys.index, dtype=object)
    else:
        row_media = media.loc[keys.index].astype(object).fillna("")
    codes, pairs = pd.MultiIndex.from_arrays([keys.astype(object), row_media]).factorize()
    groups: dict[str, tuple[Candidates, Candidates]] = {}
    texts = []
    for key, media_type in pairs:
        if media_type not in groups:
            groups[media_type] = _split(table, media_type)
        texts.append(did_you_mean(closest_names(key, *groups[media_type])))
    return pd.Series(np.array(texts, dtype=object)[codes], index=keys.index)


def _split(table: pd.DataFrame, media_type: str) -> tuple[Candidates, Candidates]:
    """The names valid for a row of ``media_type`` (all, if it has none) and the rest."""
    if not media_type:
        return Candidates.of(table), Candidates([], [])
    same = (table["media_type"] == media_type).to_numpy()
    return Candidates.of(table[same]), Candidates.of(table[~same])
