"""Scale-out: the nodes table, the node that holds each realtime session, and (PostgreSQL only)
the knowledge index's passages table, which used to be created outside Alembic.

Revision ID: 0004_scaleout
Revises: 0003_deployments
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_scaleout"
down_revision = "0003_deployments"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "nodes",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("url", sa.String(300), nullable=False),
        sa.Column("host", sa.String(200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("key_fingerprint", sa.String(32), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("heartbeat_at", TS, nullable=False),
        sa.Column("stopped_at", TS, nullable=True),
    )
    with op.batch_alter_table("realtime_sessions") as batch:
        batch.add_column(sa.Column("node_id", sa.String(36), nullable=True))
        batch.add_column(sa.Column("node_url", sa.String(300), nullable=True))
        batch.create_index("ix_realtime_sessions_node_status", ["node_id", "status"])
    if op.get_bind().dialect.name == "postgresql":
        from kinema.knowledge.postgres import DEFAULT_TABLE, schema_sql

        op.execute(schema_sql(DEFAULT_TABLE))


def downgrade() -> None:
    with op.batch_alter_table("realtime_sessions") as batch:
        batch.drop_index("ix_realtime_sessions_node_status")
        batch.drop_column("node_url")
        batch.drop_column("node_id")
    op.drop_table("nodes")
