import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied

from kam.people.roles import Permission, Role
from kam.people.services import check_permission, do_create_user


@pytest.mark.django_db
def test_every_role_exists_as_a_group_after_migrating():
    assert set(Group.objects.values_list("name", flat=True)) >= {role.value for role in Role}


@pytest.mark.parametrize(
    ("role", "permission", "allowed"),
    [
        (Role.ADMINISTRATOR, Permission.MANAGE_USERS, True),
        (Role.ADMINISTRATOR, Permission.IMPORT_DATA, True),
        (Role.HEAD_OF_KAM, Permission.IMPORT_DATA, True),
        (Role.HEAD_OF_KAM, Permission.MANAGE_USERS, False),
        (Role.KEY_ACCOUNT_MANAGER, Permission.VIEW_ACCOUNTS, True),
        (Role.KEY_ACCOUNT_MANAGER, Permission.IMPORT_DATA, False),
        (Role.EXECUTIVE_SPONSOR, Permission.IMPORT_DATA, False),
        (Role.VIEWER, Permission.VIEW_ACCOUNTS, True),
        (Role.VIEWER, Permission.LOAD_DEMO, False),
        (Role.KEY_ACCOUNT_MANAGER, Permission.EDIT_PLANS, True),
        (Role.KEY_ACCOUNT_MANAGER, Permission.EDIT_RELATIONSHIPS, True),
        (Role.KEY_ACCOUNT_MANAGER, Permission.MANAGE_PLAN_TEMPLATES, False),
        (Role.HEAD_OF_KAM, Permission.MANAGE_PLAN_TEMPLATES, True),
        (Role.EXECUTIVE_SPONSOR, Permission.EDIT_PLANS, False),
        (Role.VIEWER, Permission.EDIT_RELATIONSHIPS, False),
    ],
)
def test_a_role_grants_exactly_its_permissions(make_user, role, permission, allowed):
    user = make_user(role)
    assert user.can(permission) is allowed


def test_refusal_names_the_user_and_what_they_may_not_do(viewer):
    with pytest.raises(PermissionDenied, match="viewer may not import data"):
        check_permission(viewer, Permission.IMPORT_DATA)


def test_an_inactive_user_may_do_nothing(make_user):
    user = make_user(Role.ADMINISTRATOR)
    user.is_active = False
    assert not user.can(Permission.VIEW_ACCOUNTS)


def test_only_user_managers_create_users(viewer, make_user):
    with pytest.raises(PermissionDenied):
        do_create_user(viewer, "mallory", password="x" * 12, roles={Role.ADMINISTRATOR})
    admin = make_user(Role.ADMINISTRATOR, "root")
    created = do_create_user(admin, "kim", password="x" * 12, roles={Role.KEY_ACCOUNT_MANAGER})
    assert created.roles() == {Role.KEY_ACCOUNT_MANAGER}
    assert created.check_password("x" * 12)


def test_recreating_a_user_replaces_roles_instead_of_adding(make_user):
    do_create_user(None, "sam", password="x" * 12, roles={Role.HEAD_OF_KAM})
    sam = do_create_user(None, "sam", password="y" * 12, roles={Role.VIEWER})
    assert sam.roles() == {Role.VIEWER}
    assert not sam.can(Permission.IMPORT_DATA)


def test_has_permission_refuses_anonymous_and_inactive_users(make_user):
    from django.contrib.auth.models import AnonymousUser

    from kam.people.services import has_permission

    kam = make_user(Role.KEY_ACCOUNT_MANAGER, "kim")
    assert has_permission(kam, Permission.EDIT_PLANS)
    assert not has_permission(kam, Permission.APPROVE_CYCLE)
    assert not has_permission(AnonymousUser(), Permission.VIEW_ACCOUNTS)
    kam.is_active = False
    assert not has_permission(kam, Permission.EDIT_PLANS)


def test_roles_are_fetched_once_and_a_change_of_roles_is_seen_at_once(
    make_user, django_assert_num_queries
):
    user = make_user(Role.VIEWER, "vera")
    assert user.can(Permission.VIEW_ACCOUNTS)  # fetches the roles
    with django_assert_num_queries(0):
        assert not user.can(Permission.EDIT_PLANS)
        assert not user.can(Permission.IMPORT_DATA)
    user.groups.set(Group.objects.filter(name=Role.KEY_ACCOUNT_MANAGER.value))
    assert user.can(Permission.EDIT_PLANS)
    user.groups.clear()
    assert not user.can(Permission.VIEW_ACCOUNTS)
