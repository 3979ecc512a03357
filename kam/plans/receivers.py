"""The plans app's answers to what other apps announce (connected in PlansConfig.ready)."""

from collections.abc import Mapping
from typing import Any

from django.dispatch import receiver

from kam.people.models import User
from kam.plans.services import do_hand_over_plans
from kam.selection.signals import managers_changed


@receiver(managers_changed, dispatch_uid="kam.plans.follow_the_manager")
def follow_the_manager(sender: Any, user: User, handed_over: Mapping[str, User], **_: Any) -> None:
    """A key account's plan follows its manager when a cycle hands the account over."""
    do_hand_over_plans(user, handed_over)
