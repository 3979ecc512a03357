from django.apps import AppConfig


class EngagementConfig(AppConfig):
    name = "kam.engagement"
    label = "engagement"
    verbose_name = "Engagement"

    def ready(self) -> None:
        from kam.engagement import providers

        providers.register()  # the timeline's engagements and My accounts' columns
