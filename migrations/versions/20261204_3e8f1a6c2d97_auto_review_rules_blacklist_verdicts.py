"""auto-review: rule settings, receiver blacklist, one verdict per paid order

Revision ID: 3e8f1a6c2d97
Revises: b7e3a91c4d52
Create Date: 2026-12-04 19:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3e8f1a6c2d97'
down_revision = 'b7e3a91c4d52'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('auto_review_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('max_amount_fen', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auto_review_settings'))
    )
    op.create_table('receiver_blacklist',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('added_by', sa.String(length=64), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receiver_blacklist')),
    sa.UniqueConstraint('phone', name=op.f('uq_receiver_blacklist_phone'))
    )
    op.create_table('auto_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('approved', sa.Boolean(), nullable=False),
    sa.Column('failed_rules', sa.JSON(), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_auto_reviews_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auto_reviews')),
    sa.UniqueConstraint('order_id', name=op.f('uq_auto_reviews_order_id'))
    )
    with op.batch_alter_table('auto_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auto_reviews_approved'), ['approved'], unique=False)
        batch_op.create_index(batch_op.f('ix_auto_reviews_reviewed_at'), ['reviewed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('auto_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auto_reviews_reviewed_at'))
        batch_op.drop_index(batch_op.f('ix_auto_reviews_approved'))
    op.drop_table('auto_reviews')
    op.drop_table('receiver_blacklist')
    op.drop_table('auto_review_settings')
