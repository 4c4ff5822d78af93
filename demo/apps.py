from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data (`manage.py seed_demo`): the top layer, it may use every app's services."""

    name = "demo"
    verbose_name = "PLATINIUM demo data"
