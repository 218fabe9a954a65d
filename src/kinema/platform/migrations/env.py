"""Alembic environment: runs on the connection ``kinema.platform.db.migrate`` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import kinema.platform.characters.models  # noqa: F401  (registers char_* tables on Base)
import kinema.platform.deployments.models  # noqa: F401  (registers session/key tables)
import kinema.platform.nodes  # noqa: F401  (registers the nodes table)
from kinema.platform.models import Base

target_metadata = Base.metadata
config = context.config


def run() -> None:
    conn = config.attributes.get("connection")
    if conn is None:  # `alembic` command line: connect from the URL
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.connect() as conn:
            _run_on(conn)
            conn.commit()
        return
    _run_on(conn)


def _run_on(conn) -> None:
    context.configure(
        connection=conn,
        target_metadata=target_metadata,
        render_as_batch=True,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
