import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# gunicorn never runs the system checks: refuse to serve with the simulated bank in production.
from marmots.payments.checks import refuse_to_serve_on_errors  # noqa: E402 (needs the apps)

refuse_to_serve_on_errors()
