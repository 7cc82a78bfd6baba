"""indexes for a year of orders, stock checkpoints for an incremental check-stock

Revision ID: c4d8e2a61f37
Revises: c41e7a9d2f63
Create Date: 2026-12-05 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4d8e2a61f37'
down_revision = 'c41e7a9d2f63'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stock_checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('on_hand', sa.Integer(), nullable=False),
    sa.Column('reserved', sa.Integer(), nullable=False),
    sa.Column('locked', sa.Integer(), nullable=False),
    sa.Column('damaged', sa.Integer(), nullable=False),
    sa.Column('through_movement_id', sa.Integer(), nullable=False),
    sa.Column('verified_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_stock_checkpoints_sku_id_skus')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_stock_checkpoints_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_checkpoints')),
    sa.UniqueConstraint('warehouse_id', 'sku_id', name=op.f('uq_stock_checkpoints_warehouse_id_sku_id'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_created_id', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_orders_status_created_id', ['status', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_orders_channel_created_id', ['channel_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_orders_external_id', ['external_id'], unique=False)
        batch_op.create_index('ix_orders_paid_at', ['paid_at'], unique=False)
    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.create_index('ix_stock_movements_sku_id', ['sku_id', 'id'], unique=False)
        batch_op.create_index('ix_stock_movements_kind_at', ['kind', 'at'], unique=False)
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.create_index('ix_reservations_status_level', ['status', 'warehouse_id', 'sku_id'], unique=False)


def downgrade():
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.drop_index('ix_reservations_status_level')
    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_movements_kind_at')
        batch_op.drop_index('ix_stock_movements_sku_id')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_paid_at')
        batch_op.drop_index('ix_orders_external_id')
        batch_op.drop_index('ix_orders_channel_created_id')
        batch_op.drop_index('ix_orders_status_created_id')
        batch_op.drop_index('ix_orders_created_id')
    op.drop_table('stock_checkpoints')
