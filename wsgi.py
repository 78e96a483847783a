"""The WSGI entry point: ``gunicorn wsgi:app``."""

from api import create_app

app = create_app()
