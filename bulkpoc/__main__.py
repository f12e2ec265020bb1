"""``python -m bulkpoc``: the same command as ``bulkpoc``."""

from bulkpoc.cli import main

main()
