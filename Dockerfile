# Pathwise application image: gunicorn (web), Celery worker and Celery beat all run from it.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings

WORKDIR /app

# Dependencies first, so code changes do not reinstall them. The project installs no packages
# of its own (setuptools packages = []); `pip install .` pulls in its dependencies.
COPY pyproject.toml README.md ./
RUN pip install .

COPY . .

RUN groupadd --system pathwise \
    && useradd --system --gid pathwise --home-dir /app --no-create-home pathwise \
    && DJANGO_SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput \
    && chown -R pathwise:pathwise /app/staticfiles

USER pathwise
EXPOSE 8000

CMD ["gunicorn", "config.wsgi", "-b", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
