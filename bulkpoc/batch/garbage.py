"""How often Python looks for cyclic garbage: at start-up, and while batches run.

Python collects its youngest generation every 700 allocations, and each collection of an
older one walks every object still alive. Start-up imports make objects by the hundred
thousand and free few of them; a batch makes tuples and lists by the hundred thousand. With
the defaults the collector took about a tenth of a 100,000-row import. Memory is still freed
as soon as nothing refers to it (reference counting); only cycles wait a little longer.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 20_000  # allocations between two collections of the youngest generation

_lock = threading.Lock()
_batches = 0
_before: tuple[int, int, int] = gc.get_threshold()


def collect_less_often() -> None:
    """Collect the youngest generation every ``YOUNG_THRESHOLD`` allocations from now on (the
    command line calls this first thing; a web or worker process keeps it)."""
    first, *older = gc.get_threshold()
    gc.set_threshold(max(first, YOUNG_THRESHOLD), *older)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """While batches run in this process, the objects that exist when the first starts (the
    imported modules, mostly) are left out of collections (``gc.freeze``), and the youngest
    generation is collected as ``collect_less_often`` sets. The last batch to finish puts
    both back, so a long-lived process collects between batches as before."""
    global _batches, _before
    with _lock:
        if not _batches:
            _before = gc.get_threshold()
            gc.freeze()
            collect_less_often()
        _batches += 1
    try:
        yield
    finally:
        with _lock:
            _batches -= 1
            if not _batches:
                gc.set_threshold(*_before)
                gc.unfreeze()
