"""governance: tags, owners, erasure checks

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 00:30:13.910159
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import temporal_lineage.store.columns

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "erasure_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("table_id", sa.Integer(), nullable=False),
        sa.Column("predicate", sa.Text(), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column(
            "checked_at", temporal_lineage.store.columns.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "recorded_at", temporal_lineage.store.columns.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["table_id"], ["tables.id"], name=op.f("fk_erasure_checks_table_id_tables")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_checks")),
    )
    with op.batch_alter_table("erasure_checks", schema=None) as batch_op:
        batch_op.create_index("ix_erasure_checks_table", ["table_id", "checked_at"], unique=False)

    op.create_table(
        "owner_facts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=8), nullable=False),
        sa.Column("namespace", sa.String(length=1000), nullable=False),
        sa.Column("name", sa.String(length=2000), nullable=False),
        sa.Column("table_id", sa.Integer(), nullable=True),
        sa.Column("owners", sa.JSON(), nullable=False),
        sa.Column(
            "effective_at",
            temporal_lineage.store.columns.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("event_pk", sa.Integer(), nullable=False),
        sa.Column(
            "matched_at", temporal_lineage.store.columns.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "recorded_at", temporal_lineage.store.columns.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["event_pk"], ["events.id"], name=op.f("fk_owner_facts_event_pk_events")
        ),
        sa.ForeignKeyConstraint(
            ["table_id"], ["tables.id"], name=op.f("fk_owner_facts_table_id_tables")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_owner_facts")),
    )
    with op.batch_alter_table("owner_facts", schema=None) as batch_op:
        batch_op.create_index("ix_owner_facts_name", ["target", "namespace", "name"], unique=False)
        batch_op.create_index("ix_owner_facts_table", ["table_id"], unique=False)

    op.create_table(
        "tag_facts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=8), nullable=False),
        sa.Column("namespace", sa.String(length=1000), nullable=True),
        sa.Column("name", sa.String(length=2000), nullable=True),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("table_id", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(length=1000), nullable=True),
        sa.Column("field_id", sa.Integer(), nullable=True),
        sa.Column("tag", sa.String(length=200), nullable=False),
        sa.Column("value", sa.String(length=1000), nullable=True),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "effective_at",
            temporal_lineage.store.columns.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("event_pk", sa.Integer(), nullable=True),
        sa.Column(
            "matched_at", temporal_lineage.store.columns.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "recorded_at", temporal_lineage.store.columns.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["event_pk"], ["events.id"], name=op.f("fk_tag_facts_event_pk_events")
        ),
        sa.ForeignKeyConstraint(
            ["table_id"], ["tables.id"], name=op.f("fk_tag_facts_table_id_tables")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tag_facts")),
    )
    with op.batch_alter_table("tag_facts", schema=None) as batch_op:
        batch_op.create_index("ix_tag_facts_dataset", ["namespace", "name"], unique=False)
        batch_op.create_index("ix_tag_facts_table", ["table_id"], unique=False)
        batch_op.create_index("ix_tag_facts_tag", ["tag"], unique=False)

    with op.batch_alter_table("column_edges", schema=None) as batch_op:
        batch_op.add_column(sa.Column("masking", sa.Boolean(), nullable=True))


def downgrade() -> None:

    with op.batch_alter_table("column_edges", schema=None) as batch_op:
        batch_op.drop_column("masking")

    with op.batch_alter_table("tag_facts", schema=None) as batch_op:
        batch_op.drop_index("ix_tag_facts_tag")
        batch_op.drop_index("ix_tag_facts_table")
        batch_op.drop_index("ix_tag_facts_dataset")

    op.drop_table("tag_facts")
    with op.batch_alter_table("owner_facts", schema=None) as batch_op:
        batch_op.drop_index("ix_owner_facts_table")
        batch_op.drop_index("ix_owner_facts_name")

    op.drop_table("owner_facts")
    with op.batch_alter_table("erasure_checks", schema=None) as batch_op:
        batch_op.drop_index("ix_erasure_checks_table")

    op.drop_table("erasure_checks")
