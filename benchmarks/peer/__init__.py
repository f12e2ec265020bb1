"""The peer for the whole-process benchmark: a minimal Django project importing POCs with
django-import-export, as its admin import does (``resource.import_data(dataset, dry_run=False)``).

    cd benchmarks && python -m peer seed PEER_DB --from BULKPOC_DB   # reference data, once
    cd benchmarks && python -m peer import FILE --db PEER_DB [--bulk]

Installed with the ``bench`` extra (``pip install -e '.[bench]'``).
"""
