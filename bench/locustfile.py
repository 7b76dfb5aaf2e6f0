"""Locust users for ``make load`` (driven by bench/load.py, which starts gunicorn, signs the
people in and hands their session cookies over in ``LOAD_SESSIONS``).

The closed loop runs ``LearnerHome`` with ``LOAD_THINK=0``: each learner asks for their home
page again as soon as it is answered. The mix runs ``Learner Coach Sponsor Admin`` (7:1:1:1)
with ``LOAD_THINK=1``: learners (home and review), a coach, a sponsor and an admin (the cohort
list and the people list), each waiting 1 s between requests.
"""

from __future__ import annotations

import itertools
import json
import os
from typing import Any

from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser

ORG = os.environ.get("LOAD_ORG", "acme")
SESSIONS: dict[str, list[str]] = json.loads(os.environ.get("LOAD_SESSIONS", "{}"))
_next_session = {role: itertools.cycle(keys) for role, keys in SESSIONS.items() if keys}
THINK = constant(float(os.environ.get("LOAD_THINK", "1")))


class SignedIn(FastHttpUser):
    """A person with their own signed-in browser session."""

    abstract = True
    role = ""
    wait_time = THINK

    def on_start(self) -> None:
        self.cookie = f"sessionid={next(_next_session[self.role])}"

    def page(self, path: str, name: str) -> None:
        headers: Any = {"Cookie": self.cookie}
        with self.client.get(
            f"/o/{ORG}/{path}", headers=headers, name=name, catch_response=True
        ) as response:
            # A signed-out session is sent to sign in (302): count it as the failure it is.
            if response.status_code != 200:
                response.failure(f"answered {response.status_code}")


class LearnerHome(SignedIn):
    role = "learner"

    @task
    def home(self) -> None:
        self.page("", "learner home")


class Learner(SignedIn):
    role = "learner"
    weight = 7

    @task(5)
    def home(self) -> None:
        self.page("", "learner home")

    @task(2)
    def review(self) -> None:
        self.page("practice/", "review")


class Coach(SignedIn):
    role = "coach"
    weight = 1

    @task
    def home(self) -> None:
        self.page("coaching/", "coach home")


class Sponsor(SignedIn):
    role = "sponsor"
    weight = 1

    @task
    def home(self) -> None:
        self.page("", "sponsor home")


class Admin(SignedIn):
    role = "admin"
    weight = 1

    @task
    def cohorts(self) -> None:
        self.page("cohorts/", "admin cohorts")

    @task
    def people(self) -> None:
        self.page("people/", "admin people")
