# The web application image; see docker-compose.yml. Serves with gunicorn on port 8000.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# GDAL for GeoDjango, gettext for Django's translation tooling.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gdal-bin gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
RUN useradd --system --user-group --home-dir /app app \
    && mkdir -p /app/staticfiles /app/media \
    && chown app:app /app/staticfiles /app/media \
    && chmod +x scripts/entrypoint.sh
USER app

EXPOSE 8000
ENTRYPOINT ["scripts/entrypoint.sh"]
