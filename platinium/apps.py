from django.apps import AppConfig


class PlatiniumConfig(AppConfig):
    """Project-level commands (seed_demo) and templates; no models."""

    name = "platinium"
    verbose_name = "PLATINIUM"
