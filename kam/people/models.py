from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import prefetch_related_objects

from kam.people.grants import permissions_of
from kam.people.roles import Permission, Role


class User(AbstractUser):
    """A person on the supplier side who signs in to kam: analyst, manager, sponsor or head of KAM.

    What they may do comes from their roles (Django groups named after ``Role``);
    superusers may do everything.
    """

    title = models.CharField(
        max_length=120, blank=True, help_text="Job title, e.g. 'Key Account Manager, DACH'."
    )

    # Seed 002: "a general rule of thumb is 5-10 key accounts per account manager".
    min_key_accounts = models.PositiveSmallIntegerField(
        default=5, help_text="Fewest key accounts this manager should hold."
    )
    max_key_accounts = models.PositiveSmallIntegerField(
        default=10, help_text="Most key accounts this manager may hold."
    )

    # Set when someone else chose the password (an Administrator's reset, a new account, the
    # demo's known one); the user is sent to change it before they may open anything else.
    must_change_password = models.BooleanField(
        default=False, help_text="Must choose a new password at the next sign-in."
    )

    record_checks: dict[object, bool] | None = None
    """While a request is answered: what the record rules (``kam.people.records``) found
    about this user, so a page asking "may they edit this account?" ten times asks the
    database once. None outside a request (a command, a test), where nothing is kept."""

    class Meta:
        ordering = ("last_name", "first_name", "username")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_key_accounts__lte=models.F("max_key_accounts")),
                name="user_capacity_min_not_above_max",
            ),
        ]

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    def roles(self) -> set[Role]:
        # Every permission check asks for the roles, a page a dozen times: the groups are
        # fetched once per user object (a request's user lives for that request) and kept
        # in Django's prefetch cache, which ``groups.add/remove/set/clear`` on this object
        # empty, so a change of roles is seen at once.
        fetched = getattr(self, "_prefetched_objects_cache", {}).get("groups")
        if fetched is None and self.pk is not None:
            # Asked only when not yet fetched: the prefetch machinery itself costs ~0.1 ms
            # a call, and a page of alerts asks for the roles hundreds of times.
            prefetch_related_objects([self], "groups")
        names = {group.name for group in self.groups.all()}
        return {role for role in Role if role.value in names}

    def can(self, permission: Permission) -> bool:
        if not self.is_active:
            return False
        if self.is_superuser:
            return True
        return any(permission in permissions_of(role) for role in self.roles())
