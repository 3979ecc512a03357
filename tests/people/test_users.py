"""Creating users: passwords held to the validators, existing users left alone when asked,
and the Administrators the command line acts as."""

import pytest
from django.core.exceptions import ValidationError

from kam.people.models import User
from kam.people.queries import administrators
from kam.people.roles import Role
from kam.people.services import do_create_user, do_ensure_user

GOOD = "correct horse battery"


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("x", "too short"),
        ("1234567890", "entirely numeric"),
        ("iloveyou", "too common"),
        ("sam.sample1", "too similar"),
    ],
)
def test_a_weak_password_is_refused_and_nothing_saved(db, password, reason):
    with pytest.raises(ValidationError, match=reason):
        do_create_user(None, "sam.sample", password=password, roles={Role.VIEWER}, first_name="Sam")
    assert not User.objects.filter(username="sam.sample").exists()


def test_a_weak_new_password_leaves_the_old_one(db):
    do_create_user(None, "sam", password=GOOD, roles={Role.VIEWER})
    with pytest.raises(ValidationError):
        do_create_user(None, "sam", password="short", roles={Role.ADMINISTRATOR})
    sam = User.objects.get(username="sam")
    assert sam.check_password(GOOD)
    assert sam.roles() == {Role.VIEWER}


def test_ensure_user_creates_once_then_leaves_the_user_alone(db):
    created, was_new = do_ensure_user(
        None, "head", password=GOOD, roles={Role.HEAD_OF_KAM}, first_name="Helena"
    )
    assert was_new
    assert created.check_password(GOOD)
    again, was_new = do_ensure_user(
        None, "head", password="another passphrase", roles={Role.VIEWER}, first_name="X"
    )
    assert not was_new
    again.refresh_from_db()
    assert again.check_password(GOOD)
    assert again.roles() == {Role.HEAD_OF_KAM}
    assert again.first_name == "Helena"


def test_administrators_are_the_active_admins_and_superusers_oldest_first(make_user):
    make_user(Role.HEAD_OF_KAM, "hannah")
    first = make_user(Role.ADMINISTRATOR, "first")
    gone = make_user(Role.ADMINISTRATOR, "gone")
    gone.is_active = False
    gone.save()
    root = User.objects.create_superuser("root", password=GOOD)
    assert administrators() == [first, root]
