"""URLconf of the benchmark process only: the application's URLs plus the trivial baseline.

The baseline is not routed in platinium/urls.py, so production never serves it and the
authorization truth table does not need an entry for it.
"""

from django.urls import path

from platinium import views
from platinium.urls import urlpatterns as app_urlpatterns

urlpatterns = [path("bench/trivial", views.trivial, name="bench_trivial"), *app_urlpatterns]
