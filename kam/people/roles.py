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
    ANALYST = "Analyst"
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
    SPONSOR_ACCOUNTS = "sponsor_accounts"
    READ_IN_FULL = "read_in_full"
    VIEW_FINANCIALS = "view_financials"
    VIEW_AUDIT_TRAIL = "view_audit_trail"
    LOG_ENGAGEMENTS = "log_engagements"
    COMMENT_ON_ENGAGEMENTS = "comment_on_engagements"
    EDIT_CADENCE = "edit_cadence"
    EDIT_OPPORTUNITIES = "edit_opportunities"
    MANAGE_PROGRAM = "manage_program"


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
            Permission.READ_IN_FULL,
            Permission.VIEW_FINANCIALS,
            Permission.LOG_ENGAGEMENTS,
            Permission.COMMENT_ON_ENGAGEMENTS,
            Permission.EDIT_CADENCE,
            Permission.EDIT_OPPORTUNITIES,
            Permission.MANAGE_PROGRAM,
        }
    ),
    Role.KEY_ACCOUNT_MANAGER: frozenset(
        {
            Permission.VIEW_ACCOUNTS,
            Permission.EDIT_RELATIONSHIPS,
            Permission.EDIT_PLANS,
            Permission.RATE_ACCOUNTS,
            Permission.READ_IN_FULL,
            Permission.VIEW_FINANCIALS,
            Permission.LOG_ENGAGEMENTS,
            Permission.COMMENT_ON_ENGAGEMENTS,
            Permission.EDIT_OPPORTUNITIES,
        }
    ),
    # Reads the accounts they sponsor in full and comments on their meetings; edits nothing.
    Role.EXECUTIVE_SPONSOR: frozenset(
        {
            Permission.VIEW_ACCOUNTS,
            Permission.SPONSOR_ACCOUNTS,
            Permission.READ_IN_FULL,
            Permission.VIEW_FINANCIALS,
            Permission.COMMENT_ON_ENGAGEMENTS,
        }
    ),
    # Sales operations: brings the data in, drafts the selection policy and runs the
    # scoring; the decisions (cycles) and the accounts' plans and people stay with KAM.
    Role.ANALYST: frozenset(
        {
            Permission.VIEW_ACCOUNTS,
            Permission.IMPORT_DATA,
            Permission.RUN_SELECTION,
            Permission.EDIT_POLICY,
            Permission.READ_IN_FULL,
            Permission.VIEW_FINANCIALS,
        }
    ),
    Role.VIEWER: frozenset({Permission.VIEW_ACCOUNTS, Permission.READ_IN_FULL}),
}

ACTIONS: dict[Permission, str] = {
    Permission.VIEW_ACCOUNTS: "Viewing accounts",
    Permission.IMPORT_DATA: "Importing data",
    Permission.LOAD_DEMO: "Loading the demo company",
    Permission.MANAGE_USERS: "Managing users",
    Permission.EDIT_RELATIONSHIPS: "Editing stakeholders and relationships",
    Permission.EDIT_PLANS: "Editing account plans",
    Permission.MANAGE_PLAN_TEMPLATES: "Editing plan templates",
    Permission.RUN_SELECTION: "Running the key-account selection",
    Permission.EDIT_POLICY: "Editing the selection policy",
    Permission.RATE_ACCOUNTS: "Rating accounts",
    Permission.APPROVE_CYCLE: "Deciding on a selection cycle",
    Permission.SPONSOR_ACCOUNTS: "Sponsoring key accounts",
    Permission.READ_IN_FULL: "Reading an account's plans and stakeholders",
    Permission.VIEW_FINANCIALS: "Seeing margin, cost and lifetime value in money",
    Permission.VIEW_AUDIT_TRAIL: "Reading the whole audit trail",
    Permission.LOG_ENGAGEMENTS: "Logging and editing engagements",
    Permission.COMMENT_ON_ENGAGEMENTS: "Commenting on engagements",
    Permission.EDIT_CADENCE: "Editing the engagement cadence policy",
    Permission.EDIT_OPPORTUNITIES: "Editing opportunities and wallet estimates",
    Permission.MANAGE_PROGRAM: "Setting the programme's KPI targets, checklist and rates",
}
"""What each permission lets a user do, in words for a refusal ("Importing data needs …")."""

ACCOUNT_BOUND_ROLES: frozenset[Role] = frozenset({Role.KEY_ACCOUNT_MANAGER, Role.EXECUTIVE_SPONSOR})
"""Roles whose account permissions (``ACCOUNT_PERMISSIONS``) hold only on their own accounts:
a manager's on those they manage or are on the team of, a sponsor's on those they sponsor
(``kam.accounts.access``). Every other role holds its permissions across the programme."""

ACCOUNT_PERMISSIONS: frozenset[Permission] = frozenset(
    {
        Permission.READ_IN_FULL,
        Permission.EDIT_PLANS,
        Permission.EDIT_RELATIONSHIPS,
        Permission.RATE_ACCOUNTS,
        Permission.LOG_ENGAGEMENTS,
        Permission.COMMENT_ON_ENGAGEMENTS,
        Permission.EDIT_OPPORTUNITIES,
    }
)
"""Permissions checked on the account a record belongs to, not only on the role."""


def roles_with(permission: Permission) -> list[Role]:
    """The roles that carry ``permission``, the Administrator (who has them all) last."""
    holders = [role for role in Role if permission in ROLE_PERMISSIONS[role]]
    return sorted(holders, key=lambda role: role is Role.ADMINISTRATOR)


def requirement(permission: Permission) -> str:
    """Why a user without ``permission`` is refused, e.g. "Importing data needs the Head of
    KAM or Administrator role."."""
    names = [role.value for role in roles_with(permission)]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    return f"{ACTIONS[permission]} needs the {listed} role."
