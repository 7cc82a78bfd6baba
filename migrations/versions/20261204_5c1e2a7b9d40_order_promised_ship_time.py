"""orders: the platform's promised ship-by time (承诺发货时间)

Revision ID: 5c1e2a7b9d40
Revises: 910172bebd46
Create Date: 2026-12-04 17:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c1e2a7b9d40'
down_revision = '910172bebd46'
branch_labels = None
depends_on = None


# Plain ALTER TABLE (SQLite 3.35+ drops columns itself): a batch rebuild of ``orders`` would drop the
# table other tables' foreign keys point at, which SQLite refuses once orders exist.
def upgrade():
    op.add_column('orders', sa.Column('ship_by_at', sa.DateTime(), nullable=True))


def downgrade():
    op.execute("ALTER TABLE orders DROP COLUMN ship_by_at")
