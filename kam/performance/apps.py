from django.apps import AppConfig


class PerformanceConfig(AppConfig):
    name = "kam.performance"
    label = "performance"
    verbose_name = "Programme performance"

    def ready(self) -> None:
        from kam.health.alert_facts import register_share_alert_line
        from kam.performance.queries import program_settings

        # The health alerts' concentration rule reads the programme's alert line.
        register_share_alert_line(lambda: program_settings().top_customer_alert_pct)
