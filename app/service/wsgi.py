"""WSGI entry point for gunicorn."""

from service.app import create_app

application = create_app()
