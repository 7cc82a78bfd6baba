"""routing: back-tests, channel-reserved warehouses and restricted regions

Revision ID: b7e3a91c4d52
Revises: 7a3c9e51d2b8
Create Date: 2026-12-04 19:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e3a91c4d52'
down_revision = '7a3c9e51d2b8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('routing_backtests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_from', sa.Date(), nullable=False),
    sa.Column('period_to', sa.Date(), nullable=False),
    sa.Column('strategy', sa.String(length=16), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('rows', sa.JSON(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_backtests'))
    )
    with op.batch_alter_table('routing_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reserved_warehouses', sa.JSON(), server_default='{}', nullable=False))
        batch_op.add_column(sa.Column('restricted_regions', sa.JSON(), server_default='{}', nullable=False))


def downgrade():
    with op.batch_alter_table('routing_settings', schema=None) as batch_op:
        batch_op.drop_column('restricted_regions')
        batch_op.drop_column('reserved_warehouses')
    op.drop_table('routing_backtests')
