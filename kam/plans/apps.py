from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "kam.plans"
    label = "plans"
    verbose_name = "Plans"

    def ready(self) -> None:
        from kam.accounts.timeline import register_timeline_provider
        from kam.plans import receivers  # noqa: F401  (connects the plan to its manager)
        from kam.plans.timeline import timeline_events

        register_timeline_provider("plans", "Plan versions and reviews", timeline_events)
