"""WSGI entry point (gunicorn or similar) for the REST API and admin; the stream needs ASGI."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bufdir_project.settings")

application = get_wsgi_application()
