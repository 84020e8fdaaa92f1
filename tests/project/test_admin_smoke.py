"""Every admin page opens for a superuser: changelist, add form, and a change form."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from activities.models import ImportJob
from aggregations.models import AggregationSnapshot, SubmittedPeriod
from record_counts.models import CountSnapshot

MODELS = sorted(admin.site._registry, key=lambda m: m._meta.label)
# Written by workers only: import jobs (from the upload page) and django-tasks' queue.
READ_ONLY = {"activities.ImportJob", "django_tasks_database.DBTaskResult"}


@pytest.fixture
def admin_client_(db) -> Client:
    user = get_user_model().objects.create_superuser("root", "root@example.org", "pw-not-used")
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    return client


@pytest.fixture
def one_of_each(org, make_activity):
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    make_activity(org, at, activity_id="act-1")
    AggregationSnapshot.objects.create(org=org, range_start=at, range_end=at, snapshot_at=at)
    CountSnapshot.objects.create(org=org, range_start=at, range_end=at, snapshot_at=at)
    SubmittedPeriod.objects.create(
        org=org,
        period_start=at.date(),
        period_end=at.date(),
        submitted_at=at,
        submitted_by="someone",
        activity_count=1,
    )
    ImportJob.objects.create(file_name="rows.csv", status="failed", message="The file is not UTF-8 text.")


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_admin_pages_open(admin_client_, one_of_each, model):
    info = (model._meta.app_label, model._meta.model_name)
    assert admin_client_.get(reverse("admin:{}_{}_changelist".format(*info))).status_code == 200
    add = admin_client_.get(reverse("admin:{}_{}_add".format(*info)))
    assert add.status_code == (403 if model._meta.label in READ_ONLY else 200)  # a superuser may add the rest
    obj = model._default_manager.first()
    if obj is not None:
        change = admin_client_.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
        assert change.status_code == 200


def test_every_project_model_is_registered():
    labels = {m._meta.label for m in MODELS}
    expected = {
        "activities.Organization",
        "activities.Activity",
        "activities.ImportJob",
        "aggregations.AggregationSnapshot",
        "aggregations.SubmittedPeriod",
        "record_counts.CountSnapshot",
        "api_keys.ApiKey",
    }
    assert expected <= labels
