"""``python -m bulkpoc``: the same command as the ``bulkpoc`` script."""

from bulkpoc.cli import main

main()
