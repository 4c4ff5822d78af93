import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platinium.settings")
application = get_wsgi_application()

# Import every view now, then keep the objects of start-up (Django, the models, the views,
# the URL patterns: they live as long as the process) out of the garbage collector's full
# passes. Scanning them took about 150 ms every few dozen flowsheet requests, which was the
# page's p99 (docs/decisions/0043-garbage-collector-frozen-at-start-up.md).
url_patterns = get_resolver().url_patterns
gc.collect()
gc.freeze()
