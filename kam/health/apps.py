from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "kam.health"
    label = "health"
    verbose_name = "Account health"

    def ready(self) -> None:
        from kam.health import providers, rescoring

        providers.register()  # My accounts' health column
        rescoring.connect()  # one account scored again when what its score reads changes
