# GridGov API image. Needs a PostgreSQL + PostGIS server: see docker-compose.yml.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GRIDGOV_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000

WORKDIR /app
COPY requirements.txt constraints.txt ./
RUN pip install --no-cache-dir -r requirements.txt -c constraints.txt

COPY api ./api
COPY config ./config
COPY migrations ./migrations
COPY models ./models
COPY web ./web
COPY alembic.ini wsgi.py ./

RUN useradd --system --uid 10001 --home-dir /app gridgov
USER gridgov

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD python -c "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\",\"8000\")}/healthz', timeout=4)"

# Migrate to head, then serve. Production settings refuse to start without SECRET_KEY and DATABASE_URL.
CMD ["sh", "-c", "flask --app wsgi db upgrade && exec gunicorn --config config/gunicorn.py wsgi:app"]
