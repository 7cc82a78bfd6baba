"""merged orders: orders.merged_into_id

Revision ID: c41d8e2a7f63
Revises: 7a3c9e1f5b20
Create Date: 2026-12-05 07:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c41d8e2a7f63'
down_revision = '7a3c9e1f5b20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_orders_merged_into_id'), ['merged_into_id'], unique=False)
        batch_op.create_foreign_key('fk_orders_merged_into_id_orders', 'orders', ['merged_into_id'], ['id'])


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint('fk_orders_merged_into_id_orders', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_orders_merged_into_id'))
        batch_op.drop_column('merged_into_id')
