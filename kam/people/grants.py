"""What a role may do on this install: ``ROLE_PERMISSIONS`` with the install's grants and
revocations (settings ``ROLE_GRANTS`` / ``ROLE_REVOKES``, from ``KAM_ROLE_GRANTS`` /
``KAM_ROLE_REVOKES``).

    KAM_ROLE_GRANTS="Viewer=view_financials"          # Viewers see margin and CLV in money
    KAM_ROLE_REVOKES="Executive Sponsor=view_financials; Key Account Manager=view_financials"

No Django import at module level: the settings module parses its environment with it.
"""

from kam.people.roles import ROLE_PERMISSIONS, Permission, Role

RolePermissions = dict[Role, frozenset[Permission]]


class BadRolePermissions(ValueError):
    """A KAM_ROLE_GRANTS / KAM_ROLE_REVOKES value that names an unknown role or permission."""


def parse_role_permissions(text: str, variable: str) -> RolePermissions:
    """``"Role=permission, permission; Role=permission"`` as {Role: permissions}; a clear
    error naming the variable and the bad word otherwise."""
    parsed: RolePermissions = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        name, sep, listed = part.partition("=")
        if not sep:
            raise BadRolePermissions(f"{variable}: {part!r} is not Role=permission[, permission]")
        try:
            role = Role(name.strip())
        except ValueError:
            known = ", ".join(r.value for r in Role)
            raise BadRolePermissions(f"{variable}: no role {name.strip()!r} ({known})") from None
        chosen = set(parsed.get(role, frozenset()))
        for word in (w.strip() for w in listed.split(",")):
            if not word:
                continue
            try:
                chosen.add(Permission(word))
            except ValueError:
                known = ", ".join(p.value for p in Permission)
                raise BadRolePermissions(f"{variable}: no permission {word!r} ({known})") from None
        parsed[role] = frozenset(chosen)
    return parsed


def permissions_of(role: Role) -> frozenset[Permission]:
    """The permissions ``role`` carries on this install (the Administrator's are never cut)."""
    from django.conf import settings

    if role is Role.ADMINISTRATOR:
        return ROLE_PERMISSIONS[role]
    granted = getattr(settings, "ROLE_GRANTS", {}).get(role, frozenset())
    revoked = getattr(settings, "ROLE_REVOKES", {}).get(role, frozenset())
    return (ROLE_PERMISSIONS[role] | granted) - revoked
