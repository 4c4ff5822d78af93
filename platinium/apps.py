from django.apps import AppConfig


class PlatiniumConfig(AppConfig):
    """Project-level commands (backup, restore), settings and templates; no models."""

    name = "platinium"
    verbose_name = "PLATINIUM"
