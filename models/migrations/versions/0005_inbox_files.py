"""The inbox's files: the content of every extract it imported, so none is imported twice, and
when an extract last arrived, so stale data is noticed.

One new table; no existing row changes.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

def upgrade() -> None:
    op.create_table('inbox_file',
    sa.Column('content_hash', AutoString(), nullable=False),
    sa.Column('kind', AutoString(), nullable=False),
    sa.Column('name', AutoString(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('content_hash')
    )
