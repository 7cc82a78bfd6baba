"""hardening: session versions, credentials encrypted at rest, pushed body digests, audit log

Revision ID: 5e1f0a7c9b2d
Revises: 1a748b0e5fdd
Create Date: 2026-12-04 16:45:00

"""
from alembic import op
import sqlalchemy as sa

# The keys come from the running app's configuration (CREDENTIAL_KEYS, or the development key), which
# is why this migration uses the app's secret box rather than a copy of it.
from app.secret_box import decrypt, encrypt, is_encrypted, reencrypt_columns


# revision identifiers, used by Alembic.
revision = '5e1f0a7c9b2d'
down_revision = '1a748b0e5fdd'
branch_labels = None
depends_on = None

#: column -> its length before it held encrypted tokens
CREDENTIAL_COLUMNS = {'app_secret': 128, 'access_token': 255, 'refresh_token': 255, 'push_secret': 128}


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('channel_credentials', schema=None) as batch_op:
        for column, length in CREDENTIAL_COLUMNS.items():
            batch_op.alter_column(column, existing_type=sa.String(length=length), type_=sa.Text(),
                                  existing_nullable=False)
    reencrypt_columns(op.get_bind(), 'channel_credentials', list(CREDENTIAL_COLUMNS),
                      lambda value: value if is_encrypted(value) else encrypt(value))

    op.create_table('channel_hook_bodies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_channel_hook_bodies_channel_id_channels')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_hook_bodies')),
    sa.UniqueConstraint('channel_id', 'digest', name=op.f('uq_channel_hook_bodies_channel_id_digest'))
    )

    op.create_table('audit_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('subject', sa.String(length=128), nullable=False),
    sa.Column('detail', sa.String(length=300), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries'))
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entries_actor', ['actor', 'at'], unique=False)
        batch_op.create_index('ix_audit_entries_at', ['at'], unique=False)


def downgrade():
    op.drop_table('audit_entries')
    op.drop_table('channel_hook_bodies')
    reencrypt_columns(op.get_bind(), 'channel_credentials', list(CREDENTIAL_COLUMNS), decrypt)
    with op.batch_alter_table('channel_credentials', schema=None) as batch_op:
        for column, length in CREDENTIAL_COLUMNS.items():
            batch_op.alter_column(column, existing_type=sa.Text(), type_=sa.String(length=length),
                                  existing_nullable=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
