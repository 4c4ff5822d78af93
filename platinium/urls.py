from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts import views as accounts_views
from platinium import views

handler500 = "platinium.views.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/setlang/", accounts_views.set_language, name="set_language"),
    path("accounts/", include("accounts.urls")),
    path("audit/", include("audit.urls")),
    path("sites/", include("sites.urls")),
    path("participants/", include("participants.urls")),
    path("screening/", include("eligibility.urls")),
    path("randomization/", include("randomization.urls")),
    path("crf/", include("crf.urls")),
    path("monitoring/", include("monitoring.urls")),
    path("exports/", include("exports.urls")),
]

if settings.DEBUG or getattr(settings, "PLATINIUM_ENABLE_DJANGO_ADMIN", False):
    # The Django admin is a superuser tool only; the user interface is the app itself.
    urlpatterns.append(path("django-admin/", admin.site.urls))
