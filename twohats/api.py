"""The JSON API at /api/v1/: one router per app, personal tokens or the browser session."""

from ninja import NinjaAPI

from twohats.apikit import SessionAuth, TokenAuth, install_error_handlers
from twohats.clients.api import clients, contacts
from twohats.growth.api import router as opportunities
from twohats.interactions.api import router as interactions
from twohats.people.api import me, workdays
from twohats.projects.api import router as projects

api = NinjaAPI(
    title="Twohats API",
    version="1",
    description=(
        "Clients, contacts, projects, interactions, opportunities and workday locations, with "
        "the same access rules as the web pages: a record you may not see answers 404, one you "
        "may see but not change answers 403.\n\n"
        "Authenticate with a personal API token, created on your profile page and sent as "
        "`Authorization: Bearer <token>`, or with the signed-in session (unsafe methods then "
        "need the CSRF token).\n\n"
        "Lists are paginated with a cursor: follow `next` until it is null. Invalid input "
        "answers 422 with the offending field in `loc`; a stale `version` answers 409."
    ),
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
)
install_error_handlers(api)

api.add_router("/me", me)
api.add_router("/clients", clients)
api.add_router("/contacts", contacts)
api.add_router("/projects", projects)
api.add_router("/interactions", interactions)
api.add_router("/opportunities", opportunities)
api.add_router("/workdays", workdays)
api.add_router("", "twohats.health.api.router")  # /health/…, /people/{id}/…
api.add_router("/alerts", "twohats.alerts.api.router")
api.add_router("/requests", "twohats.interactions.request_api.router")
api.add_router("", "twohats.projects.delivery_api.router")  # /projects/{id}/…, /milestones/…, …
api.add_router("", "twohats.surveys.api.router")  # /surveys/…, /projects/{id}/invitations, …
api.add_router("/matching", "twohats.matching.api.router")
api.add_router("/matching", "twohats.matching.staffing_api.router")  # candidates, fit, plan
