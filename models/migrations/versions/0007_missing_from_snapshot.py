"""Snapshots: the open cases that the latest snapshot of every open case did not hold, listed
as data-quality items rather than closed silently.

One new table; no existing row changes.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

def upgrade() -> None:
    op.create_table('missing_from_snapshot',
    sa.Column('case_ref', AutoString(), nullable=False),
    sa.Column('snapshot', AutoString(), nullable=False),
    sa.Column('snapshot_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_ref'], ['case.case_ref'], ),
    sa.PrimaryKeyConstraint('case_ref')
    )


def downgrade() -> None:
    op.drop_table('missing_from_snapshot')
