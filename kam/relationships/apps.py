from django.apps import AppConfig


class RelationshipsConfig(AppConfig):
    name = "kam.relationships"
    label = "relationships"
    verbose_name = "Relationships"
