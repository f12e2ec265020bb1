"""Where a batch's Arrow memory comes from.

pyarrow's wheels allocate from mimalloc by default, which keeps what a batch frees for its own
later use; between pandas' numpy arrays and Arrow's, that left a million-row import about
110 MB above what it held. Arrow's jemalloc pool hands freed memory back to the system as it
goes, at no cost in speed that the benchmarks can see. An operator's own
ARROW_DEFAULT_MEMORY_POOL is left as it is.
"""

from __future__ import annotations

import os

import pyarrow as pa


def use_returning_pool() -> None:
    """Allocate Arrow memory from now on from jemalloc, where this build of pyarrow has it."""
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:  # a build without jemalloc keeps its default
        return
    pa.set_memory_pool(pool)
