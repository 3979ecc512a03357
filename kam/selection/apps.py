from django.apps import AppConfig


class SelectionConfig(AppConfig):
    name = "kam.selection"
    label = "selection"
    verbose_name = "Selection"

    def ready(self) -> None:
        from kam.accounts.access import register_tie
        from kam.people.roles import Role
        from kam.selection.ties import (
            managed_among,
            manages_account,
            sponsored_among,
            sponsors_account,
        )

        # A key account's manager and sponsor hold their role's account permissions on it.
        register_tie(Role.KEY_ACCOUNT_MANAGER, manages_account, managed_among)
        register_tie(Role.EXECUTIVE_SPONSOR, sponsors_account, sponsored_among)

        from kam.accounts.timeline import register_timeline_provider
        from kam.selection.timeline import timeline_events

        register_timeline_provider("selection", "Selection decisions", timeline_events)
