# PLATINIUM EDC application image: web (gunicorn), Celery worker and beat share it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PLATINIUM_DATA_DIR=/data \
    DJANGO_STATIC_ROOT=/app/staticfiles

# WeasyPrint renders PDFs with Pango; gettext compiles the translations.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Static files and translations are built into the image. The settings need a secret key
# and a database URL to load; collectstatic/compilemessages connect to neither.
RUN DJANGO_DEBUG=false \
    DJANGO_SECRET_KEY=build-time-only-not-used-at-runtime-0123456789abcdefghij \
    DATABASE_URL=postgres://build@127.0.0.1:5432/unused \
    python manage.py collectstatic --noinput \
    && if [ -d locale ]; then \
         DJANGO_DEBUG=false DJANGO_SECRET_KEY=build-time-only-not-used-at-runtime-0123456789abcdefghij \
         DATABASE_URL=postgres://build@127.0.0.1:5432/unused \
         python manage.py compilemessages; \
       fi

# Runtime data (uploaded files, the arm-encryption key file, celery beat schedule).
RUN useradd --system --create-home --home-dir /home/platinium platinium \
    && mkdir -p /data && chown platinium /data
VOLUME ["/data"]
USER platinium

EXPOSE 8000
CMD ["gunicorn", "platinium.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
