# journeymart's Airflow image: the official Airflow image plus the project's locked
# dependencies (uv.lock), for docker-compose.yml. The Airflow version must match uv.lock's
# apache-airflow pin (tests/test_compose.py checks it).
ARG AIRFLOW_VERSION=3.3.2
FROM apache/airflow:${AIRFLOW_VERSION}-python3.11
ARG AIRFLOW_VERSION
ARG UV_VERSION=0.13.9

# JOURNEYMART_HOME is a named volume mounted here: a new volume copies this directory's
# owner, and group 0 write access lets any AIRFLOW_UID (always in group 0) write to it.
USER root
RUN mkdir -p /opt/journeymart /opt/journeymart-home \
 && chown airflow:0 /opt/journeymart /opt/journeymart-home \
 && chmod 2775 /opt/journeymart /opt/journeymart-home
USER airflow

WORKDIR /opt/journeymart
COPY --chown=airflow:0 pyproject.toml uv.lock ./
# The lock, exported as pins (no dev tools, not the project itself), installed with the
# image's own Airflow kept at the same version; the celery extra brings the Celery provider
# and the Redis client the CeleryExecutor needs (the lock targets the embedded default).
RUN pip install --no-cache-dir "uv==${UV_VERSION}" \
 && uv export --frozen --no-dev --no-emit-project --no-hashes --no-header -o /tmp/requirements.txt \
 && pip install --no-cache-dir "apache-airflow[celery]==${AIRFLOW_VERSION}" -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# The package itself, editable: compose bind-mounts the checkout over /opt/journeymart, so
# code and DAG changes take effect without a rebuild.
COPY --chown=airflow:0 README.md ./
COPY --chown=airflow:0 src ./src
COPY --chown=airflow:0 dags ./dags
COPY --chown=airflow:0 dbt_project ./dbt_project
COPY --chown=airflow:0 expectations ./expectations
RUN pip install --no-cache-dir --no-deps -e .

ENV JOURNEYMART_HOME=/opt/journeymart-home \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/journeymart/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=False
