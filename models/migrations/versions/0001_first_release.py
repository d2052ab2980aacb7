"""The store as release 0.1 wrote it, before migrations existed.

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case',
    sa.Column('case_ref', AutoString(), nullable=False),
    sa.Column('timeline', AutoString(), nullable=False),
    sa.Column('team', AutoString(), nullable=False),
    sa.Column('social_worker', AutoString(), nullable=False),
    sa.Column('looked_after_on', sa.Date(), nullable=False),
    sa.Column('child_name', AutoString(), nullable=True),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('case_ref')
    )
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_team'), ['team'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_timeline'), ['timeline'], unique=False)

    op.create_table('check_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('flow_run_id', AutoString(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('summary', AutoString(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('check_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_check_run_as_of'), ['as_of'], unique=False)

    op.create_table('lead',
    sa.Column('lead_id', AutoString(), nullable=False),
    sa.Column('name', AutoString(), nullable=False),
    sa.Column('role', AutoString(), nullable=False),
    sa.Column('team', AutoString(), nullable=False),
    sa.Column('notify', AutoString(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('lead_id')
    )
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_role'), ['role'], unique=False)
        batch_op.create_index(batch_op.f('ix_lead_team'), ['team'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', AutoString(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('title', AutoString(), nullable=False),
    sa.Column('body', AutoString(), nullable=False),
    sa.Column('state', AutoString(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', AutoString(), nullable=True),
    sa.Column('delivered_to', AutoString(), nullable=False),
    sa.Column('flow_run_id', AutoString(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_lead_id'), ['lead_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_state'), ['state'], unique=False)

    op.create_table('case_state',
    sa.Column('case_ref', AutoString(), nullable=False),
    sa.Column('timeline', AutoString(), nullable=False),
    sa.Column('rules_version', AutoString(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('milestones', AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['case_ref'], ['case.case_ref'], ),
    sa.PrimaryKeyConstraint('case_ref')
    )
    op.create_table('milestone_completion',
    sa.Column('case_ref', AutoString(), nullable=False),
    sa.Column('milestone', AutoString(), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('note', AutoString(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_ref'], ['case.case_ref'], ),
    sa.PrimaryKeyConstraint('case_ref', 'milestone')
    )
    op.create_table('milestone_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_ref', AutoString(), nullable=False),
    sa.Column('milestone', AutoString(), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('note', AutoString(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['case_ref'], ['case.case_ref'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('milestone_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestone_event_case_ref'), ['case_ref'], unique=False)

    op.create_table('status_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_ref', AutoString(), nullable=False),
    sa.Column('milestone', AutoString(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('old_status', AutoString(), nullable=True),
    sa.Column('new_status', AutoString(), nullable=False),
    sa.Column('old_tiers', AutoString(), nullable=False),
    sa.Column('new_tiers', AutoString(), nullable=False),
    sa.Column('due', sa.Date(), nullable=True),
    sa.Column('days_overdue', sa.Integer(), nullable=True),
    sa.Column('owner', AutoString(), nullable=True),
    sa.Column('timeline', AutoString(), nullable=False),
    sa.Column('rules_version', AutoString(), nullable=False),
    sa.Column('flow_run_id', AutoString(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_ref'], ['case.case_ref'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('status_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_change_as_of'), ['as_of'], unique=False)
        batch_op.create_index(batch_op.f('ix_status_change_case_ref'), ['case_ref'], unique=False)

    op.create_table('notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('change_id', sa.Integer(), nullable=False),
    sa.Column('lead_id', AutoString(), nullable=False),
    sa.Column('reason', AutoString(), nullable=False),
    sa.Column('tier', sa.Integer(), nullable=True),
    sa.Column('outbox_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['change_id'], ['status_change.id'], ),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_lead_id'), ['lead_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notice_outbox_id'), ['outbox_id'], unique=False)
