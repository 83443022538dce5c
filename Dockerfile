# Servanda's API in a container: `docker build -t servanda .`, then run it with
# SERVANDA_DATABASE_URL pointing at PostgreSQL (compose.yaml does) or with a volume on
# /var/lib/servanda for the SQLite default. Deployment guide: docs/deployment.md.

# -- build: the package and its dependencies in a virtualenv ---------------------------------
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/servanda
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN /opt/servanda/bin/pip install .

# -- run: the virtualenv, the libraries PDF reports need, and no root ------------------------
FROM python:3.11-slim
# WeasyPrint (PDF reports and invoices) draws text with Pango.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libfontconfig1 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 servanda \
 && useradd --system --uid 10001 --gid servanda --home-dir /var/lib/servanda --create-home \
      --shell /usr/sbin/nologin servanda
COPY --from=build /opt/servanda /opt/servanda
ENV PATH=/opt/servanda/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    SERVANDA_HOST=0.0.0.0 \
    SERVANDA_PORT=8000 \
    SERVANDA_LOG_FORMAT=json \
    SERVANDA_DATABASE_URL=sqlite:////var/lib/servanda/servanda.db
WORKDIR /var/lib/servanda
VOLUME ["/var/lib/servanda"]
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('SERVANDA_PORT', '8000'), timeout=4)"]
# Migrations first (transactional on PostgreSQL; nothing to do when up to date), then the API.
CMD ["sh", "-c", "servanda db upgrade && exec servanda serve --host 0.0.0.0"]
