"""carriers: the tracking service's company code

Revision ID: 7a3c9e51d2b8
Revises: 7a3c5e9d1b24
Create Date: 2026-12-04 19:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7a3c9e51d2b8'
down_revision = '7a3c5e9d1b24'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN (SQLite takes it): rebuilding the table would trip the foreign keys pointing at it.
    op.add_column('carriers', sa.Column('tracking_code', sa.String(length=32), server_default='', nullable=False))
    # Until now our carrier codes were the tracking service's own (shunfeng, zhongtong, …).
    op.execute("UPDATE carriers SET tracking_code = code")


def downgrade():
    op.drop_column('carriers', 'tracking_code')
