"""Two planners assigning overlapping selections at the same moment: one wins, the others get 409, nothing half-written."""
import json

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from layers.models import Estate, RegisterChange, ServiceContract

from .test_area_concurrency import run_together

THREADS = 6
TODAY = timezone.localdate()  # the estates are uncovered today: no contract can overlap but the racers'


@pytest.mark.django_db(transaction=True)
def test_concurrent_overlapping_assignments_exactly_one_wins(demo_city):
    planner = User.objects.get(username="planner")
    uncovered = list(Estate.objects.uncovered().order_by("code").values_list("pk", flat=True)[:THREADS + 1])
    contracts_before, changes_before = ServiceContract.objects.count(), RegisterChange.objects.count()

    def assign(k):
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(planner)
        # Every selection shares the first estate, and each has one of its own, in a different order.
        ids = [uncovered[k + 1], uncovered[0]] if k % 2 else [uncovered[0], uncovered[k + 1]]
        body = {"estate_ids": ids, "provider_kind": "district_fallback", "start_date": TODAY.isoformat(), "note": f"并发{k}"}
        response = client.post("/api/service/assign/", json.dumps(body), content_type="application/json")
        return response.status_code, json.loads(response.content)

    results = run_together(assign, THREADS)
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * (THREADS - 1), results
    winner = next(body for status, body in results if status == 201)
    assert ServiceContract.objects.count() == contracts_before + 2
    assert RegisterChange.objects.count() == changes_before + 2
    # The losers wrote nothing, not even their own estate.
    assigned = set(ServiceContract.objects.filter(start_date=TODAY).values_list("estate_id", flat=True))
    assert assigned == set(winner["estate_ids"])
    for status, body in results:
        if status == 409:
            assert body["code"] == "overlap" and "District fallback" in body["error"]
