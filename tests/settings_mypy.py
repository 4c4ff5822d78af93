"""Settings for mypy's Django plugin (`make lint`): importable without a database server.

The plugin imports the settings to learn the installed apps and models; it never connects.
Without DATABASE_URL, platinium/settings.py would start the embedded PostgreSQL.
"""

import os

os.environ.setdefault("DATABASE_URL", "postgres://typecheck@127.0.0.1:1/not_connected")

from tests.settings import *  # noqa: F403
