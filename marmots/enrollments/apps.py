from django.apps import AppConfig


class EnrollmentsConfig(AppConfig):
    name = "marmots.enrollments"
    label = "enrollments"
