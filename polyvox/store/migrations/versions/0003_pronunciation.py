"""pronunciation dictionaries

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pronunciation_dictionaries',
    sa.Column('dictionary_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=32), nullable=True),
    sa.Column('creation_time_unix', sa.BigInteger(), nullable=False),
    sa.Column('latest_version_id', sa.String(length=32), nullable=False),
    sa.Column('latest_version_rules_num', sa.Integer(), nullable=False),
    sa.Column('workspace_access', sa.String(length=16), nullable=True),
    sa.Column('archived_time_unix', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('dictionary_id')
    )
    with op.batch_alter_table('pronunciation_dictionaries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pronunciation_dictionaries_creation_time_unix'),
                              ['creation_time_unix'], unique=False)

    op.create_table('pronunciation_dictionary_versions',
    sa.Column('version_id', sa.String(length=32), nullable=False),
    sa.Column('dictionary_id', sa.String(length=32), nullable=False),
    sa.Column('version_number', sa.Integer(), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('rules_num', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=35), nullable=True),
    sa.Column('alphabet', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.String(length=32), nullable=True),
    sa.Column('creation_time_unix', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['dictionary_id'], ['pronunciation_dictionaries.dictionary_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('version_id')
    )
    with op.batch_alter_table('pronunciation_dictionary_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pronunciation_dictionary_versions_dictionary_id'),
                              ['dictionary_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('pronunciation_dictionary_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pronunciation_dictionary_versions_dictionary_id'))
    op.drop_table('pronunciation_dictionary_versions')
    with op.batch_alter_table('pronunciation_dictionaries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pronunciation_dictionaries_creation_time_unix'))
    op.drop_table('pronunciation_dictionaries')
