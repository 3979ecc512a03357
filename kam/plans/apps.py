from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "kam.plans"
    label = "plans"
    verbose_name = "Plans"

    def ready(self) -> None:
        from kam.plans import receivers  # noqa: F401  (connects the plan to its manager)
