"""invoice timeline notes as data: the values of each note's message template, so it reads in any language

Revision ID: c4f1e8a2d6b3
Revises: 7a3c9e1f5b20
Create Date: 2026-12-05 07:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4f1e8a2d6b3'
down_revision = '7a3c9e1f5b20'
branch_labels = None
depends_on = None


# Plain ALTER TABLE both ways, as for the invoice columns before (no batch rebuild of a referenced table).
def upgrade():
    op.add_column('invoice_events', sa.Column('note_params', sa.JSON(), server_default='{}', nullable=False))


def downgrade():
    op.execute("ALTER TABLE invoice_events DROP COLUMN note_params")
