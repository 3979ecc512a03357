from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "kam.health"
    label = "health"
    verbose_name = "Account health"

    def ready(self) -> None:
        from kam.health import providers

        providers.register()  # My accounts' health column
