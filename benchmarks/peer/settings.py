"""Django settings of the peer: one app, SQLite at ``$PEER_DB``, production defaults (no DEBUG,
which would keep every query in memory)."""

import os

SECRET_KEY = "benchmark-only"
DEBUG = False
USE_TZ = True
INSTALLED_APPS = ["peer.pocs"]
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ.get("PEER_DB", "")}
}
