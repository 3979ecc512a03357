from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "kam.health"
    label = "health"
    verbose_name = "Account health"
