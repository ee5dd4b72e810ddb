"""customers and their normalised lookup keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=998), nullable=False),
        sa.Column("email", sa.String(length=998), nullable=False),
        sa.Column("phone", sa.String(length=64), nullable=False),
        sa.Column("contact_name", sa.String(length=998), nullable=False),
        sa.Column("contact_email", sa.String(length=998), nullable=False),
        sa.Column("contact_phone", sa.String(length=64), nullable=False),
        sa.Column("billing_address", sa.Text(), nullable=False),
        sa.Column("postal_address", sa.Text(), nullable=False),
        sa.Column("tax_number", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=255), nullable=False),
        sa.Column("domains", sa.JSON(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("customer_id"),
    )
    op.create_table(
        "customer_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_row_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(["customer_row_id"], ["customers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("customer_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_keys_customer_row_id"), ["customer_row_id"], unique=False
        )
        batch_op.create_index("ix_customer_keys_kind_value", ["kind", "value"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("customer_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_keys_kind_value")
        batch_op.drop_index(batch_op.f("ix_customer_keys_customer_row_id"))
    op.drop_table("customer_keys")
    op.drop_table("customers")
