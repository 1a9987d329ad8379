# The application image: the web (ASGI) server by default; docker-compose.yml runs the same
# image as the Celery worker, beat and the one-off migrate. Production settings unless
# DJANGO_ENV says otherwise, so it refuses to start without its secrets (README, "Deploying").
# Built from the context .dockerignore leaves (no .venv, .git, databases, .env, artifacts).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_ENV=production
WORKDIR /app
# WeasyPrint (the summary's PDF report) draws text with Pango; DejaVu is the report's font.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY vsm_site vsm_site
COPY workshops workshops
COPY streams streams
COPY metrics metrics
COPY workitems workitems
RUN pip install --no-cache-dir -e .
COPY . .
# The static files with production's manifest storage (whitenoise), which needs the manifest
# this writes; the placeholders only let the production settings load, they are never run.
RUN DJANGO_SECRET_KEY=collectstatic-only DJANGO_ALLOWED_HOSTS=localhost \
    VSM_CREDENTIALS_KEY=collectstatic-only python manage.py collectstatic --noinput -v0
# Not root: the app writes only uploads waiting for the worker (the media volume).
RUN useradd --system --no-create-home --uid 10001 flowmap \
    && mkdir -p /app/media && chown flowmap /app/media
USER flowmap
EXPOSE 8000
# Forwarded headers are believed only from VSM_TRUSTED_PROXIES (none unless set; README).
CMD ["sh", "-c", "exec uvicorn vsm_site.asgi:application --host 0.0.0.0 --port 8000 --ws websockets-sansio --ws-max-size 1048576 --forwarded-allow-ips \"$VSM_TRUSTED_PROXIES\""]
