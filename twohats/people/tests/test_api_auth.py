"""API authentication (personal tokens, the session with CSRF), `me`, errors and the schema."""

import json

import pytest
from auditlog.models import LogEntry
from django.test import Client as HttpClient

from twohats.clients.models import Client
from twohats.people.services import api_token_create, api_token_revoke
from twohats.test import Cast

# One test client for the module: each new one loads the middleware again, which is slow.
_http = HttpClient()


@pytest.fixture
def http() -> HttpClient:
    _http.cookies.clear()
    return _http


def test_it_answers_401_json_without_credentials(cast: Cast, http: HttpClient) -> None:
    for response in [
        http.get("/api/v1/clients"),
        http.get(f"/api/v1/clients/{cast.client.pk}"),
        http.post("/api/v1/clients", {"name": "X"}, content_type="application/json"),
        http.delete(f"/api/v1/clients/{cast.client.pk}"),
    ]:
        assert response.status_code == 401
        assert "API token" in response.json()["detail"]
    assert Client.objects.get(pk=cast.client.pk).archived_at is None


def test_it_authenticates_with_a_personal_token(cast: Cast, http: HttpClient) -> None:
    _, raw = api_token_create(user=cast.teammate, name="Reporting script")
    response = http.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    assert response.json() == {
        "id": cast.teammate.pk,
        "username": "teammate",
        "name": str(cast.teammate),
        "role": "pm",
        "time_zone": "Europe/Paris",
    }


def test_it_applies_the_token_owners_access(cast: Cast, http: HttpClient) -> None:
    _, raw = api_token_create(user=cast.outsider, name="Script")
    auth = {"Authorization": f"Bearer {raw}"}
    assert http.get(f"/api/v1/clients/{cast.client.pk}", headers=auth).status_code == 404
    assert http.get(f"/api/v1/clients/{cast.other_client.pk}", headers=auth).status_code == 200


@pytest.mark.parametrize("how", ["wrong", "revoked", "inactive user", "not bearer"])
def test_it_refuses_a_bad_token_with_401(cast: Cast, http: HttpClient, how: str) -> None:
    token, raw = api_token_create(user=cast.owner, name="Script")
    header = f"Bearer {raw}"
    if how == "wrong":
        header = f"Bearer {raw}x"
    elif how == "revoked":
        api_token_revoke(token=token)
    elif how == "inactive user":
        cast.owner.is_active = False
        cast.owner.save(update_fields=["is_active"])
    else:
        header = f"Token {raw}"
    response = http.get("/api/v1/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["detail"]


def test_it_does_not_fall_back_to_the_session_on_a_wrong_token(
    cast: Cast, http: HttpClient
) -> None:
    http.force_login(cast.owner)
    response = http.get("/api/v1/me", headers={"Authorization": "Bearer th_nothing"})
    assert response.status_code == 401


def test_it_records_the_token_owner_as_the_actor_of_a_write(cast: Cast) -> None:
    _, raw = api_token_create(user=cast.owner, name="Script")
    strict = HttpClient(enforce_csrf_checks=True)
    response = strict.post(
        "/api/v1/clients",
        {"name": "Orbital", "industry": "aerospace"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}"},
    )
    # A token needs no CSRF token: it is not sent by browsers on their own.
    assert response.status_code == 201
    client = Client.objects.get(pk=response.json()["id"])
    entry = LogEntry.objects.get_for_object(client).get()
    assert entry.action == LogEntry.Action.CREATE
    assert entry.actor == cast.owner


def test_it_requires_the_csrf_token_for_session_writes(cast: Cast) -> None:
    strict = HttpClient(enforce_csrf_checks=True)
    strict.force_login(cast.owner)
    body = {"name": "Orbital", "industry": "aerospace"}
    response = strict.post("/api/v1/clients", body, content_type="application/json")
    assert response.status_code == 403
    assert not Client.objects.filter(name="Orbital").exists()

    secret = "a" * 32
    strict.cookies["csrftoken"] = secret
    response = strict.post(
        "/api/v1/clients", body, content_type="application/json", headers={"X-CSRFToken": secret}
    )
    assert response.status_code == 201
    # Reads need no CSRF token.
    assert HttpClient(enforce_csrf_checks=True).get("/api/v1/clients").status_code == 401
    assert strict.get("/api/v1/clients").status_code == 200


def test_it_refuses_an_oversized_body_with_413(cast: Cast, http: HttpClient) -> None:
    http.force_login(cast.owner)
    body = {"name": "Big", "industry": "banking", "notes": "x" * (300 * 1024)}
    response = http.post("/api/v1/clients", body, content_type="application/json")
    assert response.status_code == 413
    assert "262144 bytes" in response.json()["detail"]
    assert not Client.objects.filter(name="Big").exists()


def test_it_answers_400_for_a_body_that_is_not_json(cast: Cast, http: HttpClient) -> None:
    http.force_login(cast.owner)
    response = http.post("/api/v1/clients", "{name:", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"]


def test_it_names_every_bad_field_in_a_422(cast: Cast, http: HttpClient) -> None:
    http.force_login(cast.owner)
    body = {"name": "", "industry": "shipbuilding", "colour": "blue"}
    response = http.post("/api/v1/clients", body, content_type="application/json")
    assert response.status_code == 422
    locs = sorted(error["loc"] for error in response.json()["detail"])
    assert locs == [["body", "colour"], ["body", "industry"], ["body", "name"]]
    assert all(error["msg"] for error in response.json()["detail"])


EVERY_PATH = {
    "/api/v1/me": {"get"},
    "/api/v1/clients": {"get", "post"},
    "/api/v1/clients/{client_id}": {"get", "patch", "delete"},
    "/api/v1/clients/{client_id}/restore": {"post"},
    "/api/v1/clients/{client_id}/purge": {"delete"},
    "/api/v1/contacts": {"get", "post"},
    "/api/v1/contacts/{contact_id}": {"get", "patch", "delete"},
    "/api/v1/contacts/{contact_id}/restore": {"post"},
    "/api/v1/contacts/{contact_id}/purge": {"delete"},
    "/api/v1/projects": {"get", "post"},
    "/api/v1/projects/{project_id}": {"get", "patch", "delete"},
    "/api/v1/projects/{project_id}/restore": {"post"},
    "/api/v1/projects/{project_id}/purge": {"delete"},
    "/api/v1/interactions": {"get", "post"},
    "/api/v1/interactions/{interaction_id}": {"get", "patch", "delete"},
    "/api/v1/opportunities": {"get", "post"},
    "/api/v1/opportunities/{opportunity_id}": {"get", "patch", "delete"},
    "/api/v1/workdays": {"get", "post"},
    "/api/v1/workdays/{workday_id}": {"get", "patch", "delete"},
    "/api/v1/requests": {"get", "post"},
    "/api/v1/requests/{request_id}": {"get", "patch", "delete"},
    "/api/v1/requests/{request_id}/respond": {"post"},
    "/api/v1/requests/{request_id}/resolve": {"post"},
    "/api/v1/alerts": {"get"},
    "/api/v1/alerts/{alert_id}": {"get"},
    "/api/v1/alerts/{alert_id}/acknowledge": {"post"},
    "/api/v1/alerts/{alert_id}/snooze": {"post"},
    "/api/v1/alerts/{alert_id}/resolve": {"post"},
    "/api/v1/alerts/{alert_id}/dismiss": {"post"},
    "/api/v1/health/clients/{client_id}": {"get"},
    "/api/v1/health/clients/{client_id}/history": {"get"},
    "/api/v1/health/projects/{project_id}": {"get"},
    "/api/v1/health/projects/{project_id}/history": {"get"},
    "/api/v1/health/portfolio": {"get"},
    "/api/v1/people/{user_id}/roles": {"get"},
    "/api/v1/health/clients/{client_id}/roles": {"get"},
    "/api/v1/people/{user_id}/independence": {"get"},
    "/api/v1/projects/{project_id}/status-reports": {"get", "post"},
    "/api/v1/status-reports/{report_id}": {"get"},
    "/api/v1/status-reports/{report_id}/revise": {"post"},
    "/api/v1/projects/{project_id}/milestones": {"get", "post"},
    "/api/v1/milestones/{milestone_id}": {"get", "patch"},
    "/api/v1/milestones/{milestone_id}/complete": {"post"},
    "/api/v1/milestones/{milestone_id}/accept": {"post"},
    "/api/v1/projects/{project_id}/change-requests": {"get", "post"},
    "/api/v1/change-requests/{change_id}": {"get"},
    "/api/v1/change-requests/{change_id}/decide": {"post"},
    "/api/v1/projects/{project_id}/baselines": {"get", "post"},
    "/api/v1/projects/{project_id}/delivery": {"get"},
    "/api/v1/surveys/templates": {"get"},
    "/api/v1/projects/{project_id}/invitations": {"get", "post"},
    "/api/v1/invitations/{invitation_id}/revoke": {"post"},
    "/api/v1/clients/{client_id}/survey-results": {"get"},
    "/api/v1/surveys/templates/{template_id}": {"put"},
    "/api/v1/matching/profiles/me": {"get", "post", "delete"},
    "/api/v1/matching/contacts/{contact_id}/profile": {"get", "post", "delete"},
    "/api/v1/matching/people/{person_id}/profile": {"get", "delete"},
    "/api/v1/matching/projects/{project_id}/candidates": {"get"},
    "/api/v1/matching/fit": {"get"},
    "/api/v1/matching/staffing/plan": {"get"},
    "/api/v1/matching/staffing/needs/{need_id}/assign": {"post"},
}


def test_it_serves_an_openapi_document_listing_every_path(db: None, http: HttpClient) -> None:
    response = http.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["info"]["title"] == "Twohats API"
    assert schema["info"]["version"] == "1"
    assert {path: set(methods) for path, methods in schema["paths"].items()} == EVERY_PATH
    # The list filters are declared, so they show in the document.
    params = {p["name"] for p in schema["paths"]["/api/v1/clients"]["get"]["parameters"]}
    assert {"industry", "tier", "status", "account_lead", "q", "archived", "cursor"} <= params
    assert set(schema["components"]["securitySchemes"]) == {"TokenAuth", "SessionAuth"}
    assert http.get("/api/v1/docs").status_code == 200


def test_it_refuses_out_of_range_ids_and_null_characters(cast: Cast, http: HttpClient) -> None:
    http.force_login(cast.owner)
    contact = {"client": cast.client.pk, "first_name": "Ada", "last_name": "Byron"}
    project = {
        "client": cast.client.pk,
        "name": "Avionics",
        "start_date": "2026-02-02",
        "end_date": "2026-06-30",
    }
    for url, body, loc in [
        ("/api/v1/contacts", contact | {"client": 2**70}, ["body", "client"]),
        ("/api/v1/contacts", contact | {"first_name": "A\x00a"}, ["body", "first_name"]),
        ("/api/v1/projects", project | {"team": list(range(1, 502))}, ["body", "team"]),
        ("/api/v1/projects", project | {"team": [2**70]}, ["body", "team", 0]),
    ]:
        response = http.post(url, body, content_type="application/json")
        assert response.status_code == 422
        assert [error["loc"] for error in response.json()["detail"]] == [loc]
    response = http.get("/api/v1/contacts", {"client": 2**70})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "client"]
    assert http.get("/api/v1/clients/99999999999999999999999").status_code == 404
