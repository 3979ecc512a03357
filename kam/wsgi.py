"""WSGI entry point: `gunicorn kam.wsgi` (what `kam serve` runs)."""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
application = get_wsgi_application()

# Import the URL map — every app's views, Plotly, SciPy — while the worker boots, so that no
# person's first request after a start pays for it (seconds of CPU).
get_resolver().url_patterns  # noqa: B018
