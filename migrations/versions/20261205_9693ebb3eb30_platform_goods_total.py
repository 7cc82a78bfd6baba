"""the goods total a sales platform states, on its order: orders.platform_goods_fen

Revision ID: 9693ebb3eb30
Revises: d52e9f3b8a14
Create Date: 2026-12-05 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9693ebb3eb30'
down_revision = 'd52e9f3b8a14'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('platform_goods_fen', sa.Integer(), nullable=True))


def downgrade():
    # Not batch mode: on SQLite that rebuilds the orders table, which the foreign keys of existing rows
    # refuse; both backends drop a plain column in place (SQLite since 3.35).
    op.execute("ALTER TABLE orders DROP COLUMN platform_goods_fen")
