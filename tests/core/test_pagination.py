"""Every API list is capped and bounded: huge or malformed limit/offset never reach SQL."""

import pytest

from core.pagination import MAX_LIMIT, MAX_OFFSET

pytestmark = pytest.mark.django_db

LIST = "/api/handover/imports/"


def test_a_huge_limit_is_served_as_the_cap(client_for, subject) -> None:  # noqa: ANN001
    response = client_for(subject).get(LIST, {"limit": 2**63})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["results"] == [] and body["count"] == 0
    assert body["next"] is None


def test_the_next_link_carries_the_capped_limit(client_for, subject) -> None:  # noqa: ANN001
    from handover.models import Source

    Source.objects.bulk_create(
        Source(owner=subject, format="slack", original_name=f"{n}.zip", path=f"/x/{n}")
        for n in range(MAX_LIMIT + 1)
    )
    body = client_for(subject).get(LIST, {"limit": 10**12}).json()
    assert len(body["results"]) == MAX_LIMIT
    assert f"limit={MAX_LIMIT}" in body["next"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"offset": 2**63}, "offset"),
        ({"offset": MAX_OFFSET + 1}, "offset"),
        ({"offset": -1}, "offset"),
        ({"offset": "ten"}, "offset"),
        ({"limit": 0}, "limit"),
        ({"limit": "all"}, "limit"),
    ],
)
def test_a_bad_limit_or_offset_is_a_clear_400(client_for, subject, params, field) -> None:  # noqa: ANN001
    response = client_for(subject).get(LIST, params)
    assert response.status_code == 400
    assert list(response.json()) == [field]
