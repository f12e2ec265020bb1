"""``python -m peer seed|import``: make the peer's store, or import a file into it.

``seed`` creates the tables and copies the skills, scripts and chat profiles from a seeded
bulkpoc SQLite store, so both sides resolve the same names. ``import`` is what the timed run
does: read the file with tablib, as the admin import does, and import every row.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from pathlib import Path


def _setup(database: Path) -> None:
    os.environ["PEER_DB"] = str(database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer.settings")
    import django

    django.setup()


def seed(database: Path, source: Path) -> None:
    _setup(database)
    from django.db import connection, transaction

    from peer.pocs.models import ChatProfile, Poc, Script, Skill

    with connection.schema_editor() as editor:
        for model in (Skill, Script, ChatProfile, Poc):
            editor.create_model(model)
    with sqlite3.connect(source) as bulkpoc, transaction.atomic():
        Skill.objects.bulk_create(
            Skill(name=name, media_type=media, active=bool(active))
            for name, media, active in bulkpoc.execute(
                "SELECT name, media_type, active FROM skills"
            )
        )
        Script.objects.bulk_create(
            Script(name=name, media_type=media)
            for name, media in bulkpoc.execute("SELECT name, media_type FROM scripts")
        )
        ChatProfile.objects.bulk_create(
            ChatProfile(name=name) for (name,) in bulkpoc.execute("SELECT name FROM chat_profiles")
        )


def import_file(path: Path, database: Path, bulk: bool) -> int:
    """Import ``path``; print the outcome totals as JSON; 0 when every row was imported."""
    _setup(database)
    import tablib

    from peer.pocs.resources import BulkPocResource, PocResource

    kind = path.suffix.lstrip(".").lower()
    content = path.read_text(encoding="utf-8") if kind == "csv" else path.read_bytes()
    dataset = tablib.Dataset().load(content, format=kind)
    resource = BulkPocResource() if bulk else PocResource()
    result = resource.import_data(dataset, dry_run=False)
    print(json.dumps(dict(result.totals)))
    return 1 if result.has_errors() or result.has_validation_errors() else 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m peer", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    seeding = commands.add_parser("seed")
    seeding.add_argument("database", type=Path)
    seeding.add_argument("--from", dest="source", type=Path, required=True)
    importing = commands.add_parser("import")
    importing.add_argument("path", type=Path)
    importing.add_argument("--db", type=Path, required=True)
    importing.add_argument("--bulk", action="store_true")
    args = parser.parse_args()
    if args.command == "seed":
        seed(args.database, args.source)
    else:
        sys.exit(import_file(args.path, args.db, args.bulk))


if __name__ == "__main__":
    main()
