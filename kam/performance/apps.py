from django.apps import AppConfig


class PerformanceConfig(AppConfig):
    name = "kam.performance"
    label = "performance"
    verbose_name = "Programme performance"
