"""Real case lives: pauses, agreed extensions, route changes, sibling groups, event kinds.

Every row a store held stays: existing dates become `done` events, existing changes are not at
risk. New columns on existing tables have defaults, so the upgrade never rewrites a row.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

def upgrade() -> None:
    op.create_table('case_pause',
    sa.Column('case_ref', AutoString(), nullable=False),
    sa.Column('paused_from', sa.Date(), nullable=False),
    sa.Column('paused_to', sa.Date(), nullable=True),
    sa.Column('reason', AutoString(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['case_ref'], ['case.case_ref'], ),
    sa.PrimaryKeyConstraint('case_ref', 'paused_from')
    )
    op.create_table('extension',
    sa.Column('case_ref', AutoString(), nullable=False),
    sa.Column('milestone', AutoString(), nullable=False),
    sa.Column('approved_on', sa.Date(), nullable=False),
    sa.Column('extended_to', sa.Date(), nullable=False),
    sa.Column('approved_by', AutoString(), nullable=False),
    sa.Column('reason', AutoString(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['case_ref'], ['case.case_ref'], ),
    sa.PrimaryKeyConstraint('case_ref', 'milestone', 'approved_on')
    )
    op.create_table('route_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_ref', AutoString(), nullable=False),
    sa.Column('old_timeline', AutoString(), nullable=False),
    sa.Column('new_timeline', AutoString(), nullable=False),
    sa.Column('changed_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['case_ref'], ['case.case_ref'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('route_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_route_change_case_ref'), ['case_ref'], unique=False)

    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sibling_group', AutoString(), nullable=True))
        batch_op.create_index(batch_op.f('ix_case_sibling_group'), ['sibling_group'],
                              unique=False)

    with op.batch_alter_table('milestone_completion', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', AutoString(), nullable=False, server_default='done'))

    with op.batch_alter_table('milestone_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', AutoString(), nullable=False, server_default='done'))
        batch_op.add_column(sa.Column('noted_on', sa.Date(), nullable=True))

    with op.batch_alter_table('status_change', schema=None) as batch_op:
        batch_op.add_column(sa.Column('planned_for', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('at_risk', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
