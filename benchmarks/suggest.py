"""Time "did you mean" matching against 10,000 existing names: difflib against rapidfuzz.

PYTHONPATH=. python benchmarks/suggest.py [names] [distinct]   # default 10,000 and 1,000

Names are built from a small vocabulary, as real skill names are ("Sales Calls 12",
"Billing Tier North 7"), which is the hard case: many names pass difflib's quick filters.
Timed per distinct unknown name, since a batch matches each distinct name once.
"""

import difflib
import random
import sys
import time

import pandas as pd

from bulkpoc.domain.suggest import CUTOFF, SHOWN, Candidates, closest_names, suggestions

NAMES = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
DISTINCT = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000
WORDS = [
    "sales",
    "support",
    "calls",
    "email",
    "chat",
    "queue",
    "billing",
    "tier",
    "north",
    "south",
    "east",
    "west",
    "vip",
    "priority",
    "returns",
    "orders",
    "tech",
    "spanish",
    "french",
    "overflow",
]

rng = random.Random(1)
names: set[str] = set()
while len(names) < NAMES:
    words = " ".join(rng.choice(WORDS).title() for _ in range(rng.randint(2, 4)))
    names.add(f"{words} {rng.randint(1, 999)}")
table = pd.DataFrame({"name": sorted(names)})
table["name_key"] = table["name"].str.casefold()
keys = table["name_key"].tolist()
typos = [key[:-1] + "x" for key in rng.sample(keys, DISTINCT)]  # one typo per distinct name

sample = typos[:50]
started = time.perf_counter()
for typo in sample:
    difflib.get_close_matches(typo, keys, n=SHOWN, cutoff=CUTOFF / 100)
per_difflib = (time.perf_counter() - started) / len(sample)

every, none = Candidates.of(table), Candidates([], [])
started = time.perf_counter()
for typo in typos:
    closest_names(typo, every, none)
per_rapidfuzz = (time.perf_counter() - started) / len(typos)

rows = pd.Series([typos[i % DISTINCT] for i in range(100_000)])
started = time.perf_counter()
suggestions(rows, table, None)
batch = time.perf_counter() - started

print(f"{NAMES:,} names, {DISTINCT:,} distinct unknown names")
print(f"difflib.get_close_matches: {per_difflib * 1000:.1f} ms per name")
print(f"closest_names (rapidfuzz): {per_rapidfuzz * 1000:.2f} ms per name")
print(f"suggestions for 100,000 rows naming {DISTINCT:,} distinct unknown names: {batch:.2f} s")
