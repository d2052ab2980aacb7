"""The web page's accounts and sessions: who may sign in, and who is signed in.

Two new tables; no existing row changes.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

def upgrade() -> None:
    op.create_table('web_account',
    sa.Column('lead_id', AutoString(), nullable=False),
    sa.Column('password_hash', AutoString(), nullable=True),
    sa.Column('with_names', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['lead.lead_id'], ),
    sa.PrimaryKeyConstraint('lead_id')
    )
    op.create_table('web_session',
    sa.Column('token_hash', AutoString(), nullable=False),
    sa.Column('lead_id', AutoString(), nullable=False),
    sa.Column('csrf_token', AutoString(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['web_account.lead_id'], ),
    sa.PrimaryKeyConstraint('token_hash')
    )
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_session_lead_id'), ['lead_id'], unique=False)
