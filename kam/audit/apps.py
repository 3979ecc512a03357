from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "kam.audit"
    verbose_name = "Audit trail"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kam.audit import receivers

        receivers.connect()
