"""jobs outbox: a row per job queued inside a transaction, deleted by the job's run

Revision ID: 7d3a9c2e4f10
Revises: 49169412e92d
Create Date: 2026-12-04 20:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7d3a9c2e4f10'
down_revision = '49169412e92d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'job_outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('job_id', sa.String(length=64), nullable=False),
        sa.Column('func_path', sa.String(length=128), nullable=False),
        sa.Column('queue', sa.String(length=32), nullable=False),
        sa.Column('args', sa.JSON(), nullable=False),
        sa.Column('options', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job_outbox')),
        sa.UniqueConstraint('job_id', name=op.f('uq_job_outbox_job_id')),
    )
    with op.batch_alter_table('job_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_outbox_created_at'), ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('job_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_outbox_created_at'))
    op.drop_table('job_outbox')
