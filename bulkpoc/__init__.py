"""bulkpoc: manage contact-centre points of contact in bulk.

The library is organised as one module per stage of a batch: ``read`` turns a file into a
table of strings, ``validate`` checks every cell and rule, ``plan`` decides what each row does
to the store, ``apply`` writes it in one transaction and ``report`` renders the result. The
``pipeline`` module runs them in order; the CLI and the web UI are thin layers over it.
"""

from bulkpoc.options import ImportOptions
from bulkpoc.pipeline import run_import
from bulkpoc.result import BatchResult, BatchStatus, Counts

__version__ = "0.1.0"

__all__ = ["BatchResult", "BatchStatus", "Counts", "ImportOptions", "__version__", "run_import"]
