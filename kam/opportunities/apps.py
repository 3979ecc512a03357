from django.apps import AppConfig


class OpportunitiesConfig(AppConfig):
    name = "kam.opportunities"
    label = "opportunities"
    verbose_name = "Opportunities"

    def ready(self) -> None:
        from kam.opportunities import providers

        providers.register()  # My accounts' pipeline and whitespace, the timeline's wins
