"""merged orders: orders.merged_into_id

Revision ID: c41d8e2a7f63
Revises: c4d8e2a61f37
Create Date: 2026-12-05 07:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c41d8e2a7f63'
down_revision = 'c4d8e2a61f37'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_orders_merged_into_id'), ['merged_into_id'], unique=False)


def downgrade():
    # Not batch mode: on SQLite that rebuilds the orders table, which the foreign keys of existing rows
    # refuse; both backends drop an index and a plain column in place (SQLite since 3.35).
    op.drop_index('ix_orders_merged_into_id', table_name='orders')
    op.execute("ALTER TABLE orders DROP COLUMN merged_into_id")
