"""Users Manage: the new permission of the Administration pages, given to the admin

An upgraded store keeps working as before: the user ``bulkpoc init`` made (``admin``) held
every permission, and holds every one still, so the administrator can open the new pages at
once. No other user gains it; an administrator grants it (`bulkpoc users add NAME
--permission "Users Manage"`, or the Users page).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

PERMISSION = 'Users Manage'


def upgrade() -> None:
    op.execute(
        sa.text(
            "INSERT INTO user_permissions (user_id, permission) "
            "SELECT id, :permission FROM users WHERE name = 'admin' AND NOT EXISTS ("
            "SELECT 1 FROM user_permissions p WHERE p.user_id = users.id "
            "AND p.permission = :permission)"
        ).bindparams(permission=PERMISSION)
    )


def downgrade() -> None:
    op.execute(
        sa.text("DELETE FROM user_permissions WHERE permission = :permission").bindparams(
            permission=PERMISSION
        )
    )
