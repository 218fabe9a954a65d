"""Realtime sessions remember the API key that created them (per-key session caps).

Follows the scale-out revision (both add columns to ``realtime_sessions``).

Revision ID: 0005_session_api_key
Revises: 0004_scaleout
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_session_api_key"
down_revision = "0004_scaleout"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("realtime_sessions") as batch:
        batch.add_column(sa.Column("api_key_id", sa.String(36), nullable=True))
    op.create_index("ix_realtime_sessions_org_status", "realtime_sessions", ["org_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_realtime_sessions_org_status", table_name="realtime_sessions")
    with op.batch_alter_table("realtime_sessions") as batch:
        batch.drop_column("api_key_id")
