"""orders: receiver town and postcode, who funds the discount, the invoice kind (platform order details)

Revision ID: 7a3c5e9d1b24
Revises: b7e3c91d4a20
Create Date: 2026-12-04 19:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7a3c5e9d1b24'
down_revision = 'b7e3c91d4a20'
branch_labels = None
depends_on = None

COLUMNS = (
    ('receiver_town', lambda: sa.Column('receiver_town', sa.String(length=32), server_default='', nullable=False)),
    ('receiver_postcode', lambda: sa.Column('receiver_postcode', sa.String(length=10), server_default='',
                                            nullable=False)),
    ('discount_platform_fen', lambda: sa.Column('discount_platform_fen', sa.Integer(), server_default='0',
                                                nullable=False)),
    ('discount_seller_fen', lambda: sa.Column('discount_seller_fen', sa.Integer(), server_default='0',
                                              nullable=False)),
    ('discount_coupon_fen', lambda: sa.Column('discount_coupon_fen', sa.Integer(), server_default='0',
                                              nullable=False)),
    ('invoice_kind', lambda: sa.Column('invoice_kind', sa.String(length=16), nullable=True)),
)


# Plain ALTER TABLE (SQLite 3.35+ drops columns itself): a batch rebuild of ``orders`` would drop the
# table other tables' foreign keys point at, which SQLite refuses once orders exist.
def upgrade():
    for _name, column in COLUMNS:
        op.add_column('orders', column())


def downgrade():
    for name, _column in reversed(COLUMNS):
        op.execute(f"ALTER TABLE orders DROP COLUMN {name}")
