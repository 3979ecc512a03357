from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "kam.api"
    label = "api"
    verbose_name = "JSON API"
