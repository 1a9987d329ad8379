FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
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
RUN DJANGO_SECRET_KEY=build python manage.py collectstatic --noinput
EXPOSE 8000
# Forwarded headers are believed only from VSM_TRUSTED_PROXIES (none unless set; README).
CMD ["sh", "-c", "exec uvicorn vsm_site.asgi:application --host 0.0.0.0 --port 8000 --ws websockets-sansio --ws-max-size 1048576 --forwarded-allow-ips \"$VSM_TRUSTED_PROXIES\""]
