"""one SKU of an order may be held in several warehouses: reservations unique per order × warehouse × SKU

Revision ID: a8b1364ebb8e
Revises: 9693ebb3eb30
Create Date: 2026-12-05 12:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a8b1364ebb8e'
down_revision = '9693ebb3eb30'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.drop_constraint('uq_reservations_order_id_sku_id', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_reservations_order_id_warehouse_id_sku_id'),
                                          ['order_id', 'warehouse_id', 'sku_id'])


def downgrade():
    # Fails while an order holds one SKU in two warehouses: ship or move those orders first.
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.drop_constraint('uq_reservations_order_id_warehouse_id_sku_id', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_reservations_order_id_sku_id'), ['order_id', 'sku_id'])
