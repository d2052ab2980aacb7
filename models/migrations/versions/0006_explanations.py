"""Explanations: why a milestone of a case is drifting, the next action and by when, as
`permanence explain` and the web page record them; every one kept.

One new table; no existing row changes.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

def upgrade() -> None:
    op.create_table('explanation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_ref', AutoString(), nullable=False),
    sa.Column('milestone', AutoString(), nullable=False),
    sa.Column('reason', AutoString(), nullable=False),
    sa.Column('next_action', AutoString(), nullable=False),
    sa.Column('next_by', sa.Date(), nullable=False),
    sa.Column('explained_on', sa.Date(), nullable=False),
    sa.Column('explained_by', AutoString(), nullable=True),
    sa.Column('source', AutoString(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_ref'], ['case.case_ref'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('explanation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_explanation_case_ref'), ['case_ref'], unique=False)
