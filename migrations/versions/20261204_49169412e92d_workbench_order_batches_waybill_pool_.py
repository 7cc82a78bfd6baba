"""workbench: order batches, waybill pool, phone tails

Revision ID: 49169412e92d
Revises: 5c1e2a7b9d40
Create Date: 2026-12-04 17:38:30.239034

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '49169412e92d'
down_revision = '5c1e2a7b9d40'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('order_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('order_nos', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('refused', sa.Integer(), nullable=False),
    sa.Column('results', sa.JSON(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_batches'))
    )
    with op.batch_alter_table('order_batches', schema=None) as batch_op:
        batch_op.create_index('ix_order_batches_created_by', ['created_by', 'id'], unique=False)

    op.create_table('waybill_pool',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('carrier_id', sa.Integer(), nullable=False),
    sa.Column('waybill_no', sa.String(length=40), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('added_by', sa.String(length=64), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['carrier_id'], ['carriers.id'], name=op.f('fk_waybill_pool_carrier_id_carriers')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_waybill_pool_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waybill_pool')),
    sa.UniqueConstraint('waybill_no', name=op.f('uq_waybill_pool_waybill_no'))
    )
    with op.batch_alter_table('waybill_pool', schema=None) as batch_op:
        batch_op.create_index('ix_waybill_pool_free', ['carrier_id', 'order_id', 'id'], unique=False)

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('receiver_phone_tail', sa.String(length=4), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('buyer_phone_tail', sa.String(length=4), nullable=False, server_default=''))
        batch_op.create_index('ix_orders_buyer_phone_tail', ['buyer_phone_tail'], unique=False)
        batch_op.create_index('ix_orders_receiver_phone_tail', ['receiver_phone_tail'], unique=False)
        batch_op.create_index('ix_orders_waybill_no', ['waybill_no'], unique=False)
    _fill_phone_tails()


def _fill_phone_tails():
    """Existing orders get the last four digits of their phones (Order._keep_phone_tail does it for new ones)."""
    four_digits = "~ '^[0-9]{4}$'" if op.get_bind().dialect.name == "postgresql" else "GLOB '[0-9][0-9][0-9][0-9]'"
    for column in ("receiver_phone", "buyer_phone"):
        tail = f"substr({column}, length({column}) - 3)"
        op.execute(f"UPDATE orders SET {column}_tail = {tail} WHERE {tail} {four_digits}")


def downgrade():
    # Not batch mode: on SQLite that rebuilds the orders table, which the foreign keys of existing rows
    # refuse; both backends drop an index and a plain column in place (SQLite since 3.35).
    for index in ('ix_orders_waybill_no', 'ix_orders_receiver_phone_tail', 'ix_orders_buyer_phone_tail'):
        op.drop_index(index, table_name='orders')
    op.execute("ALTER TABLE orders DROP COLUMN buyer_phone_tail")
    op.execute("ALTER TABLE orders DROP COLUMN receiver_phone_tail")

    with op.batch_alter_table('waybill_pool', schema=None) as batch_op:
        batch_op.drop_index('ix_waybill_pool_free')

    op.drop_table('waybill_pool')
    with op.batch_alter_table('order_batches', schema=None) as batch_op:
        batch_op.drop_index('ix_order_batches_created_by')

    op.drop_table('order_batches')
