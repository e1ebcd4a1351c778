"""refs (branches and tags over time) and the branch a snapshot was written on

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import temporal_lineage.store.columns

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "refs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("table_id", sa.Integer(), nullable=False),
        sa.Column("incarnation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("snapshot_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "started_at", temporal_lineage.store.columns.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("max_ref_age_ms", sa.BigInteger(), nullable=True),
        sa.Column("max_snapshot_age_ms", sa.BigInteger(), nullable=True),
        sa.Column("min_snapshots_to_keep", sa.Integer(), nullable=True),
        sa.Column(
            "recorded_at", temporal_lineage.store.columns.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["incarnation_id"],
            ["incarnations.id"],
            name=op.f("fk_refs_incarnation_id_incarnations"),
        ),
        sa.ForeignKeyConstraint(["table_id"], ["tables.id"], name=op.f("fk_refs_table_id_tables")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refs")),
    )
    with op.batch_alter_table("refs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_refs_table_name_started", ["table_id", "name", "started_at", "id"], unique=False
        )
    # A plain ALTER TABLE ADD COLUMN on both databases (no table copy on SQLite).
    op.add_column("snapshots", sa.Column("branch", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("snapshots", schema=None) as batch_op:
        batch_op.drop_column("branch")
    with op.batch_alter_table("refs", schema=None) as batch_op:
        batch_op.drop_index("ix_refs_table_name_started")
    op.drop_table("refs")
