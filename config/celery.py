"""The Celery application. Tasks run eagerly in process when no REDIS_URL is configured."""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("pathwise")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Area subpackages keep their tasks beside their services; name them so workers register them.
app.autodiscover_tasks(["organizations.people", "organizations.outbox", "pathways.practice"])
app.autodiscover_tasks(["organizations.accounts", "organizations.gdpr"])

app.conf.beat_schedule = {
    # Follow-up work (e-mails, roll-ups) recorded with its fact and not yet delivered: a broker
    # outage or a killed worker delays it by minutes and loses nothing.
    "outbox-sweep": {
        "task": "outbox.tasks.fan_out_outbox_sweep",
        "schedule": crontab(minute="*/2"),
    },
    "nightly-rollups": {
        "task": "measurement.tasks.fan_out_nightly_rollups",
        "schedule": crontab(hour=2, minute=15),
    },
    # 360 feedback: close cycles whose answer window passed (reports follow), start due pulses.
    "feedback-daily": {
        "task": "feedback.tasks.fan_out_daily_feedback",
        "schedule": crontab(hour=3, minute=30),
    },
    # Hourly, because 08:00 local time comes once an hour somewhere; each organisation's task
    # e-mails only the learners for whom it is about 08:00 now (pathways.practice.services).
    "practice-reminders": {
        "task": "pathways.practice.tasks.fan_out_practice_reminders",
        "schedule": crontab(minute=5),
    },
    # Each organisation's retention period (organizations.gdpr): raw answers and import files.
    "nightly-retention": {
        "task": "organizations.gdpr.fan_out_retention",
        "schedule": crontab(hour=3, minute=10),
    },
}
