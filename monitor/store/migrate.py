"""Alembic, configured from code: no alembic.ini is needed at run time.

The migration scripts ship inside the wheel as the `migrations` package, so the
script location is found from that package, wherever it is installed.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

import migrations


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's config; env.py runs on `connection` (inside its transaction) when given."""
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade_to_head(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "head")


def revision_of(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest migration shipped with this version of aistatus."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
