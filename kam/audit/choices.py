from django.db import models


class Interface(models.TextChoices):
    """Where a write came from."""

    WEB = "web", "Web"
    API = "api", "API"
    ADMIN = "admin", "Admin"
    CLI = "cli", "Command line"
    DEMO = "demo", "Demo data"
    SYSTEM = "system", "System"


class Action(models.TextChoices):
    CREATED = "created", "Created"
    CHANGED = "changed", "Changed"
    DELETED = "deleted", "Deleted"
    IMPORTED = "imported", "Imported a file"
    LOADED = "loaded", "Loaded a data set"
    RESTORED = "restored", "Restored an export"
    CHECKED = "checked", "Checked the analytics engine"
    EXPORTED = "exported", "Exported the store to the lake"
