"""routing: when each channel's orders are routed (at creation, payment, after review or by hand)

Revision ID: c41e7a9d2f63
Revises: c4f1e8a2d6b3
Create Date: 2026-12-05 07:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c41e7a9d2f63'
down_revision = 'c4f1e8a2d6b3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('routing_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('route_moments', sa.JSON(), server_default='{}', nullable=False))


def downgrade():
    with op.batch_alter_table('routing_settings', schema=None) as batch_op:
        batch_op.drop_column('route_moments')
