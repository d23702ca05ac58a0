"""voice lab: how a cloned or generated voice was made

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('voices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lab', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('voices', schema=None) as batch_op:
        batch_op.drop_column('lab')
