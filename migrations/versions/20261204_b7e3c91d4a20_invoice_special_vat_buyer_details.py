"""invoices and invoice profiles: the buyer's address, telephone, bank and account a 专票 needs

Revision ID: b7e3c91d4a20
Revises: 7d3c2b1a9e40
Create Date: 2026-12-04 19:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e3c91d4a20'
down_revision = '7d3c2b1a9e40'
branch_labels = None
depends_on = None

INVOICE_COLUMNS = (('buyer_address', 100), ('buyer_tel', 20), ('buyer_bank', 100), ('buyer_account', 40))
PROFILE_COLUMNS = (('address', 100), ('tel', 20), ('bank', 100), ('account', 40))


# Plain ALTER TABLE both ways (SQLite 3.35+ drops columns itself): a batch rebuild of ``invoices`` would
# drop a table that invoice lines, orders and red invoices point at.
def upgrade():
    for table, columns in (('invoices', INVOICE_COLUMNS), ('invoice_profiles', PROFILE_COLUMNS)):
        for name, length in columns:
            op.add_column(table, sa.Column(name, sa.String(length=length), nullable=False, server_default=''))


def downgrade():
    for table, columns in (('invoices', INVOICE_COLUMNS), ('invoice_profiles', PROFILE_COLUMNS)):
        for name, _length in columns:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {name}")
