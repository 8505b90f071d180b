# The one image behind the api, worker and beat services of compose.yaml.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home /app tasdeeq
WORKDIR /app
COPY pyproject.toml README.md ./
COPY config ./config
COPY verification ./verification
COPY kyc ./kyc
COPY api ./api
COPY workers ./workers
COPY manage.py ./
RUN pip install . && python manage.py collectstatic --noinput -v 0
USER tasdeeq
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60", \
     "--logger-class", "config.gunicorn_logging.ScrubbingLogger"]
