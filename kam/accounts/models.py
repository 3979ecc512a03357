from django.conf import settings
from django.db import models


class Account(models.Model):
    """A customer as the supplier knows it: one row of the customer master.

    The primary key is the customer's id in the source system, the same key the
    analytical store's transaction lines carry, so the two stores join without a lookup.
    Parent accounts form the group hierarchy (a holding and its subsidiaries).
    """

    customer_id = models.CharField(primary_key=True, max_length=64)
    name = models.CharField(max_length=255)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subsidiaries",
        help_text="The account this one belongs to, e.g. a subsidiary's holding.",
    )
    country = models.CharField(max_length=64, blank=True)
    region = models.CharField(max_length=64, blank=True)
    segment = models.CharField(max_length=128, blank=True, help_text="Industry segment.")
    team = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="account_teams",
        help_text="Who works the account with its key account manager; the key account "
        "managers among them may edit it (kam.accounts.access).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("name",)
        indexes = [
            models.Index(fields=["name"], name="account_name_idx"),
            models.Index(fields=["region", "segment"], name="account_region_segment_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("customer_id")),
                name="account_not_its_own_parent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.customer_id})"
