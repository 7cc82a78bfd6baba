"""order events indexed by (order_id, at, id): an order page reads its newest entries first

Revision ID: ee5614988ab6
Revises: a8b1364ebb8e
Create Date: 2026-12-05 12:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'ee5614988ab6'
down_revision = 'a8b1364ebb8e'
branch_labels = None
depends_on = None


def upgrade():
    # The new index leads with order_id, so it also serves every lookup the old one did.
    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.create_index('ix_order_events_order_at_id', ['order_id', 'at', 'id'], unique=False)
        batch_op.drop_index('ix_order_events_order_id')


def downgrade():
    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.create_index('ix_order_events_order_id', ['order_id'], unique=False)
        batch_op.drop_index('ix_order_events_order_at_id')
