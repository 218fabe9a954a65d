"""Deployments: realtime sessions, publishable keys, per-turn live metrics.

A branch of its own off the platform spine (the characters revision is a sibling), so either
can land first; ``db.migrate`` upgrades to all heads.

Revision ID: 0003_deployments
Revises: 0001_platform
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_deployments"
down_revision = "0001_platform"
branch_labels = ("deployments",)
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "realtime_sessions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("org_id", sa.String(36), sa.ForeignKey("organizations.id"), nullable=False),
        sa.Column("avatar", sa.JSON(), nullable=False),
        sa.Column("avatar_id", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("max_duration", sa.Integer(), nullable=False),
        sa.Column("personality", sa.Text(), nullable=True),
        sa.Column("start_script", sa.Text(), nullable=True),
        sa.Column("tools", sa.JSON(), nullable=False),
        sa.Column("session_key", sa.String(80), nullable=True),
        sa.Column("connect_token_hash", sa.String(64), nullable=True),
        sa.Column("publishable_key_id", sa.String(36), nullable=True),
        sa.Column("origin", sa.String(300), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("ready_at", TS, nullable=True),
        sa.Column("expires_at", TS, nullable=True),
        sa.Column("consumed_at", TS, nullable=True),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("ended_at", TS, nullable=True),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("end_reason", sa.String(64), nullable=True),
        sa.Column("transcript", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=True),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.Column("failure_code", sa.String(64), nullable=True),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
    )
    op.create_index("ix_realtime_sessions_org_id", "realtime_sessions", ["org_id"])
    op.create_index("ix_realtime_sessions_avatar_id", "realtime_sessions", ["avatar_id"])
    op.create_index(
        "ix_realtime_sessions_org_created", "realtime_sessions", ["org_id", "created_at"]
    )
    op.create_table(
        "publishable_keys",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("org_id", sa.String(36), sa.ForeignKey("organizations.id"), nullable=False),
        sa.Column("key", sa.String(80), nullable=False, unique=True),
        sa.Column("avatar_id", sa.String(64), nullable=False),
        sa.Column("allowed_origins", sa.JSON(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
    )
    op.create_index("ix_publishable_keys_org_id", "publishable_keys", ["org_id"])
    op.create_table(
        "session_turns",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "session_id",
            sa.String(36),
            sa.ForeignKey("realtime_sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("org_id", sa.String(36), nullable=False),
        sa.Column("turn", sa.Integer(), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_session_turns_session_id", "session_turns", ["session_id"])
    op.create_index("ix_session_turns_org_id", "session_turns", ["org_id"])


def downgrade() -> None:
    op.drop_table("session_turns")
    op.drop_table("publishable_keys")
    op.drop_table("realtime_sessions")
