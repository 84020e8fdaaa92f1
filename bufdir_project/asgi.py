"""ASGI entry point: daphne serves the REST API, admin and the SSE stream."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bufdir_project.settings")

application = get_asgi_application()
