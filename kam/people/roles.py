"""Roles and the permissions they carry: one set of rules for the web app, CLI and API.

A role is a Django group of the same name. Service functions call ``check_permission``
with the acting user before they change or reveal anything.
"""

from enum import StrEnum


class Role(StrEnum):
    """The supplier-side roles of a key account programme."""

    ADMINISTRATOR = "Administrator"
    HEAD_OF_KAM = "Head of KAM"
    KEY_ACCOUNT_MANAGER = "Key Account Manager"
    EXECUTIVE_SPONSOR = "Executive Sponsor"
    VIEWER = "Viewer"


class Permission(StrEnum):
    """Something a user may do; services check one of these before acting."""

    VIEW_ACCOUNTS = "view_accounts"
    IMPORT_DATA = "import_data"
    LOAD_DEMO = "load_demo"
    MANAGE_USERS = "manage_users"
    EDIT_RELATIONSHIPS = "edit_relationships"
    EDIT_PLANS = "edit_plans"
    MANAGE_PLAN_TEMPLATES = "manage_plan_templates"
    RUN_SELECTION = "run_selection"
    EDIT_POLICY = "edit_policy"
    RATE_ACCOUNTS = "rate_accounts"
    APPROVE_CYCLE = "approve_cycle"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMINISTRATOR: frozenset(Permission),
    Role.HEAD_OF_KAM: frozenset(
        {
            Permission.VIEW_ACCOUNTS,
            Permission.IMPORT_DATA,
            Permission.LOAD_DEMO,
            Permission.EDIT_RELATIONSHIPS,
            Permission.EDIT_PLANS,
            Permission.MANAGE_PLAN_TEMPLATES,
            Permission.RUN_SELECTION,
            Permission.EDIT_POLICY,
            Permission.RATE_ACCOUNTS,
            Permission.APPROVE_CYCLE,
        }
    ),
    Role.KEY_ACCOUNT_MANAGER: frozenset(
        {
            Permission.VIEW_ACCOUNTS,
            Permission.EDIT_RELATIONSHIPS,
            Permission.EDIT_PLANS,
            Permission.RATE_ACCOUNTS,
        }
    ),
    Role.EXECUTIVE_SPONSOR: frozenset({Permission.VIEW_ACCOUNTS}),
    Role.VIEWER: frozenset({Permission.VIEW_ACCOUNTS}),
}
