"""Every route of the app, with what it needs and a request that exercises it.

tests/test_web_access.py checks that this table and the app's route table agree (a route
added to the app and not here fails), then sends each sample without login and as a user
lacking each permission. A route that shows a record type's data needs that type's
permission; one that shows none needs a login, or nothing.

``{poc_batch}`` and ``{skill_batch}`` in a URL stand for finished batches of each type, with
failed rows, an error file and a results email.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bulkpoc.domain.permissions import POC_CREATE, REFERENCE_DATA_EDIT, SKILLS_EDIT, USERS_MANAGE

PUBLIC = "public"  # anyone, logged in or not
LOGIN = "login"  # any logged-in user (page) or any valid token (API)


@dataclass(frozen=True)
class Sample:
    """A request to ``url`` and what it needs: PUBLIC, LOGIN or a permission. ``answers`` is
    the status when allowed; ``body`` names a body: ``poc`` or ``skill``, a file of that type
    to upload (a dry run), as the form or the API sends it; ``login``, a login form with a
    wrong password."""

    url: str
    needs: str
    answers: int = 200
    body: str | None = None


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # as the app's route table spells it
    samples: tuple[Sample, ...] = field(default=())


def _route(method: str, path: str, *samples: Sample) -> Route:
    return Route(method, path, samples)


def _(url: str, needs: str, answers: int = 200, body: str | None = None) -> Sample:
    return Sample(url, needs, answers, body)


@dataclass(frozen=True)
class Collection:
    """A record type's routes as the samples take them: its name in URLs, how the app's
    route table spells a page's key, a stored record's key, the permission they need, whether
    its form has (De)activate, and the queries its list page and its API list are sent."""

    name: str
    page_key: str
    key: str
    needs: str
    page_query: str
    api_query: str = ""
    activates: bool = False


COLLECTIONS = (
    Collection("pocs", "{key:int}", "1", POC_CREATE, "?q=sales", "?q=line", activates=True),
    Collection(
        "skills", "{key:int}", "1", SKILLS_EDIT, "?q=sales&active=yes", "?active=true", True
    ),
    Collection("scripts", "{key:int}", "1", REFERENCE_DATA_EDIT, "?media_type=Email"),
    Collection("chat-profiles", "{key:int}", "1", REFERENCE_DATA_EDIT, "?sort=last_modified"),
    Collection("numbers", "{key}", "+12025550100", REFERENCE_DATA_EDIT, "?q=555", "?per_page=5"),
)


def _pages(of: Collection) -> list[Route]:
    """The list, a record, the new and edit forms and their saves, and (De)activate."""
    path, url = f"/{of.name}/{of.page_key}", f"/{of.name}/{of.key}"
    routes = [
        _route("GET", f"/{of.name}", _(f"/{of.name}{of.page_query}", of.needs)),
        _route("GET", path, _(url, of.needs)),
        _route("GET", f"/{of.name}/new", _(f"/{of.name}/new", of.needs)),
        _route("POST", f"/{of.name}/new", _(f"/{of.name}/new", of.needs, 400)),
        _route("GET", f"{path}/edit", _(f"{url}/edit", of.needs)),
        _route("POST", f"{path}/edit", _(f"{url}/edit", of.needs, 400)),
    ]
    if of.activates:
        routes.append(_route("POST", f"{path}/active", _(f"{url}/active", of.needs, 400)))
    return routes


def _api_reads(of: Collection) -> list[Route]:
    """A page of records, and one record."""
    api = f"/api/v1/{of.name}"
    return [
        _route("GET", api, _(f"{api}{of.api_query}", of.needs)),
        _route("GET", f"{api}/{{key:record}}", _(f"{api}/{of.key}", of.needs)),
    ]


def _api_changes(of: Collection) -> list[Route]:
    """A create the rules refuse, a change to nothing and a mass edit's dry run: samples a
    user may send again and again."""
    api = f"/api/v1/{of.name}"
    return [
        _route("POST", api, _(api, of.needs, 422, body=f"new-{of.name}")),
        _route("PATCH", f"{api}/{{key:record}}", _(f"{api}/{of.key}", of.needs, body="no-change")),
        _route("POST", f"{api}/bulk-edit", _(f"{api}/bulk-edit", of.needs, body=f"bulk-{of.name}")),
    ]


NAMED = {"name": ""}  # a blank name: every rule-checked create of these types refuses it
# The JSON bodies the samples name.
JSON_BODIES: dict[str, dict] = {
    "no-change": {},
    "new-pocs": {"name": "", "media_type": "Email", "skill": "Email Support", "script": "x"},
    "new-skills": NAMED | {"media_type": "Email"},
    "new-scripts": NAMED | {"media_type": "Email"},
    "new-chat-profiles": NAMED,
    "new-numbers": {"phone_number": "not a number"},
    **{
        f"bulk-{collection}": {"ids": [1], "fields": {"name": "Sample Name"}, "dry_run": True}
        for collection in ("pocs", "skills", "scripts", "chat-profiles")
    },
    "bulk-numbers": {"ids": ["+12025550100"], "fields": {"voice": True}, "dry_run": True},
    "mapping-poc": {"record_type": "poc", "columns": {"Point of Contact": "Phone Number"}},
}
# The saved mapping the samples read and remove (tests/test_web_access.py saves it).
SAMPLE_MAPPING = "sample-partner"

ROUTES = [
    # --- pages -----------------------------------------------------------------------------
    _route("GET", "/", _("/", LOGIN, 303)),
    _route("GET", "/login", _("/login", PUBLIC)),
    _route("POST", "/login", _("/login", PUBLIC, 401, body="login")),
    _route("GET", "/history", _("/history", LOGIN)),
    # Each record type's list, record, form, save and (De)activate pages: the permission of
    # the record type. An empty form is one sentence (400), before any batch.
    *(route for collection in COLLECTIONS for route in _pages(collection)),
    _route(
        "POST",
        "/pocs/{key:int}/deactivate-via-skill",
        _("/pocs/1/deactivate-via-skill", POC_CREATE, 400),
    ),
    # Mass edit from a list: the ticked records' type's permission.
    _route("GET", "/pocs/mass-edit", _("/pocs/mass-edit?all=1&field=skill", POC_CREATE)),
    _route("POST", "/pocs/mass-edit", _("/pocs/mass-edit", POC_CREATE, 400)),
    _route("GET", "/skills/mass-edit", _("/skills/mass-edit", SKILLS_EDIT)),
    _route("POST", "/skills/mass-edit", _("/skills/mass-edit", SKILLS_EDIT, 400)),
    _route(
        "GET",
        "/manage/{type_name}",
        _("/manage/poc", LOGIN),  # the page says which permission is missing
        _("/manage/skill", LOGIN),
    ),
    _route(
        "GET",
        "/manage/{type_name}/template.{file_format}",
        _("/manage/poc/template.csv", POC_CREATE),
        _("/manage/skill/template.xlsx", SKILLS_EDIT),
    ),
    _route(
        "GET",
        "/manage/{type_name}/export.{file_format}",
        _("/manage/poc/export.xlsx", POC_CREATE),
        _("/manage/number/export.csv", REFERENCE_DATA_EDIT),
    ),
    _route(
        "POST",
        "/manage/{type_name}/upload",
        _("/manage/poc/upload", POC_CREATE, 303, body="poc"),
        _("/manage/skill/upload", SKILLS_EDIT, 303, body="skill"),
    ),
    _route("GET", "/uploads/{key}", _("/uploads/no-such-upload", LOGIN, 404)),
    # The mapping step of an upload held for it: the record type's permission; an upload that
    # is not held (for this user) is not found.
    _route(
        "GET",
        "/manage/{type_name}/mapping/{key}",
        _("/manage/poc/mapping/no-such-upload", POC_CREATE, 404),
    ),
    _route(
        "POST",
        "/manage/{type_name}/mapping/{key}",
        _("/manage/skill/mapping/no-such-upload", SKILLS_EDIT, 404),
    ),
    _route(
        "GET",
        "/batches/{batch_id:int}",
        _("/batches/{poc_batch}", POC_CREATE),
        _("/batches/{skill_batch}", SKILLS_EDIT),
    ),
    _route(
        "GET",
        "/batches/{batch_id:int}/progress.json",
        _("/batches/{poc_batch}/progress.json", LOGIN),
    ),
    _route(
        "GET",
        "/batches/{batch_id:int}/report.html",
        _("/batches/{poc_batch}/report.html", POC_CREATE),
    ),
    _route(
        "GET", "/batches/{batch_id:int}/errors", _("/batches/{skill_batch}/errors", SKILLS_EDIT)
    ),
    _route(
        "GET", "/batches/{batch_id:int}/email.eml", _("/batches/{poc_batch}/email.eml", POC_CREATE)
    ),
    _route(
        "GET",
        "/batches/{batch_id:int}/changes.csv",
        _("/batches/{skill_batch}/changes.csv", SKILLS_EDIT),
    ),
    # Taking a batch back, and applying a dry run: the batch's record type's permission.
    _route(
        "POST", "/batches/{batch_id:int}/apply", _("/batches/{poc_batch}/apply", POC_CREATE, 409)
    ),
    # Fixing a batch's failed rows: the batch's record type's permission; runs them again.
    _route(
        "POST", "/batches/{batch_id:int}/fixes", _("/batches/{poc_batch}/fixes", POC_CREATE, 303)
    ),
    # Administration: Users Manage. Actions on what does not exist (404) or with an empty
    # form (400) leave the store as the samples after them need it.
    _route("GET", "/admin/schedules", _("/admin/schedules", USERS_MANAGE)),
    _route("POST", "/admin/schedules", _("/admin/schedules", USERS_MANAGE, 400)),
    _route(
        "GET", "/admin/schedules/{schedule_id:int}", _("/admin/schedules/999", USERS_MANAGE, 404)
    ),
    _route(
        "POST", "/admin/schedules/{schedule_id:int}", _("/admin/schedules/999", USERS_MANAGE, 404)
    ),
    _route(
        "POST",
        "/admin/schedules/{schedule_id:int}/enabled",
        _("/admin/schedules/999/enabled", USERS_MANAGE, 404),
    ),
    _route(
        "POST",
        "/admin/schedules/{schedule_id:int}/run",
        _("/admin/schedules/999/run", USERS_MANAGE, 404),
    ),
    _route("GET", "/admin/users", _("/admin/users", USERS_MANAGE)),
    _route("POST", "/admin/users", _("/admin/users", USERS_MANAGE, 400)),
    _route("GET", "/admin/users/{name:path}", _("/admin/users/admin", USERS_MANAGE)),
    _route(
        "POST",
        "/admin/users/{name:path}/permissions",
        _("/admin/users/nobody/permissions", USERS_MANAGE, 404),
    ),
    _route(
        "POST", "/admin/users/{name:path}/email", _("/admin/users/admin/email", USERS_MANAGE, 400)
    ),
    _route(
        "POST",
        "/admin/users/{name:path}/password",
        _("/admin/users/nobody/password", USERS_MANAGE, 404),
    ),
    _route(
        "POST",
        "/admin/users/{name:path}/unlock",
        _("/admin/users/nobody/unlock", USERS_MANAGE, 404),
    ),
    _route("GET", "/admin/tokens", _("/admin/tokens", USERS_MANAGE)),
    _route("POST", "/admin/tokens", _("/admin/tokens", USERS_MANAGE, 400)),
    _route("POST", "/admin/tokens/revoke", _("/admin/tokens/revoke", USERS_MANAGE, 400)),
    _route("GET", "/admin/outbox", _("/admin/outbox", USERS_MANAGE)),
    _route("POST", "/admin/outbox/retry", _("/admin/outbox/retry", USERS_MANAGE, 400)),
    _route("GET", "/static", _("/static/app.css", PUBLIC)),
    _route("GET", "/api/docs", _("/api/docs", PUBLIC)),
    _route("GET", "/api/docs/assets", _("/api/docs/assets/swagger-ui.css", PUBLIC)),
    _route("GET", "/api/v1/openapi.json", _("/api/v1/openapi.json", PUBLIC)),
    # --- the API ---------------------------------------------------------------------------
    _route(
        "POST",
        "/api/v1/batches",
        _("/api/v1/batches", POC_CREATE, 202, body="poc"),
        _("/api/v1/batches", SKILLS_EDIT, 202, body="skill"),
    ),
    _route("GET", "/api/v1/batches", _("/api/v1/batches", LOGIN)),
    _route(
        "GET",
        "/api/v1/batches/{batch_id}/progress",
        _("/api/v1/batches/{poc_batch}/progress", LOGIN),
    ),
    _route(
        "GET",
        "/api/v1/batches/{batch_id}",
        _("/api/v1/batches/{poc_batch}", POC_CREATE),
        _("/api/v1/batches/{skill_batch}", SKILLS_EDIT),
    ),
    _route(
        "GET",
        "/api/v1/batches/{batch_id}/report.html",
        _("/api/v1/batches/{skill_batch}/report.html", SKILLS_EDIT),
    ),
    _route(
        "GET",
        "/api/v1/batches/{batch_id}/email.eml",
        _("/api/v1/batches/{poc_batch}/email.eml", POC_CREATE),
    ),
    _route(
        "GET",
        "/api/v1/batches/{batch_id}/errors",
        _("/api/v1/batches/{poc_batch}/errors", POC_CREATE),
    ),
    _route(
        "GET",
        "/api/v1/batches/{batch_id}/changes.csv",
        _("/api/v1/batches/{skill_batch}/changes.csv", SKILLS_EDIT),
    ),
    _route(
        "GET",
        "/api/v1/templates/{record_type}.{file_format}",
        _("/api/v1/templates/poc.csv", POC_CREATE),
        _("/api/v1/templates/chat-profile.xlsx", REFERENCE_DATA_EDIT),
    ),
    _route(
        "GET",
        "/api/v1/exports/{record_type}.{file_format}",
        _("/api/v1/exports/poc.xlsx", POC_CREATE),
        _("/api/v1/exports/skill.csv", SKILLS_EDIT),
    ),
    _route(
        "GET",
        "/api/v1/batches/{batch_id}/changes",
        _("/api/v1/batches/{skill_batch}/changes", SKILLS_EDIT),
    ),
    _route(
        "POST",
        "/api/v1/batches/{batch_id}/apply",
        _("/api/v1/batches/{poc_batch}/apply", POC_CREATE, 409),
    ),
    _route(
        "POST",
        "/api/v1/batches/{batch_id}/fixes",
        _("/api/v1/batches/{poc_batch}/fixes", POC_CREATE, 202),
    ),
    _route(
        "GET",
        "/api/v1/{collection}/{record_id}/changes",
        _("/api/v1/skills/1/changes", SKILLS_EDIT),
        _("/api/v1/pocs/1/changes", POC_CREATE),
    ),
    # Records, a page or one at a time: their record type's permission, as its export.
    *(route for collection in COLLECTIONS for route in _api_reads(collection)),
    # Column mappings: reading them needs a token; saving or removing one, the permission to
    # upload its record type (checked once the body or the stored mapping names the type).
    _route("GET", "/api/v1/mappings", _("/api/v1/mappings", LOGIN)),
    _route("GET", "/api/v1/mappings/{name}", _(f"/api/v1/mappings/{SAMPLE_MAPPING}", LOGIN)),
    _route(
        "PUT",
        "/api/v1/mappings/{name}",
        _("/api/v1/mappings/sample-put", POC_CREATE, body="mapping-poc"),
    ),
    # Changes to records: the permission of uploading their type. Samples a user may send again
    # and again: a create the rules refuse, a change to nothing, a mass edit's dry run.
    *(route for collection in COLLECTIONS for route in _api_changes(collection)),
    # After the mapping's GET: it removes the sample mapping.
    _route(
        "DELETE",
        "/api/v1/mappings/{name}",
        _(f"/api/v1/mappings/{SAMPLE_MAPPING}", POC_CREATE, 204),
    ),
    # Last: it ends the session its client has.
    _route("POST", "/logout", _("/logout", PUBLIC, 303)),
    # Last: an undo takes its batch back, which the samples above read.
    _route(
        "POST", "/batches/{batch_id:int}/undo", _("/batches/{skill_batch}/undo", SKILLS_EDIT, 303)
    ),
    _route(
        "POST",
        "/api/v1/batches/{batch_id}/undo",
        _("/api/v1/batches/{poc_batch}/undo", POC_CREATE, 202),
    ),
]
