"""Characters: documents, custom voices, avatars, conversations.

Revision ID: 0002_characters
Revises: 0001_platform
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_characters"
down_revision = "0001_platform"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _org() -> sa.Column:
    return sa.Column("org_id", sa.String(36), sa.ForeignKey("organizations.id"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "char_documents",
        sa.Column("id", sa.String(36), primary_key=True),
        _org(),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("type", sa.String(8), nullable=False),
        sa.Column("source", sa.String(2048), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_char_documents_org_id", "char_documents", ["org_id"])
    op.create_table(
        "char_voices",
        sa.Column("id", sa.String(36), primary_key=True),
        _org(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("preview_key", sa.String(500), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_char_voices_org_id", "char_voices", ["org_id"])
    op.create_table(
        "char_avatars",
        sa.Column("id", sa.String(36), primary_key=True),
        _org(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("personality", sa.Text(), nullable=False),
        sa.Column("voice", sa.JSON(), nullable=False),
        sa.Column("document_ids", sa.JSON(), nullable=False),
        sa.Column("start_script", sa.Text(), nullable=True),
        sa.Column("image_processing", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("image_key", sa.String(500), nullable=False),
        sa.Column("processed_key", sa.String(500), nullable=True),
        sa.Column("rig_key", sa.String(500), nullable=True),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("keypoints", sa.JSON(), nullable=True),
        sa.Column("emotion", sa.String(32), nullable=False),
        sa.Column("knowledge_only", sa.Boolean(), nullable=False),
        sa.Column("build_task_id", sa.String(36), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_char_avatars_org_id", "char_avatars", ["org_id"])
    op.create_table(
        "char_conversations",
        sa.Column("id", sa.String(36), primary_key=True),
        _org(),
        sa.Column("avatar_id", sa.String(36), nullable=True),
        sa.Column("avatar_name", sa.String(200), nullable=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("transcript", sa.JSON(), nullable=False),
        sa.Column("turns", sa.JSON(), nullable=False),
        sa.Column("max_duration", sa.Integer(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("ended_at", TS, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_char_conversations_avatar_id", "char_conversations", ["avatar_id"])
    op.create_index(
        "ix_char_conversations_org_created", "char_conversations", ["org_id", "created_at"]
    )


def downgrade() -> None:
    for table in ("char_conversations", "char_avatars", "char_voices", "char_documents"):
        op.drop_table(table)
