"""A fake GitHub REST API on loopback, held to GitHub's own OpenAPI description.

Tests drive it through the real PyGithub client::

    g = Github(base_url=fake.url, auth=Auth.Token(token), retry=GithubRetry(total=3, backoff_factor=0.01),
               seconds_between_requests=None, seconds_between_writes=None)

It serves the operations in ``OPERATIONS`` of tests/contract/extract_openapi.py, keeps
state (repositories, pull requests, issue and commit comments, check runs, commit statuses, git
refs and annotated tag objects, releases and their assets, a rate limit) and behaves as GitHub does where
mlci cares: pagination with GitHub's ``link`` header, the 65,536-character comment
limit, the 50-annotation and 65,535-character check run limits, annotations appended on
update, read-only tokens (a fork PR's GITHUB_TOKEN) refused on writes, tag objects with
the SHA git computes (``git_tag_text``: the message as sent, no newline added), a
release creating its missing tag, one asset of a name per release (422 already_exists),
the git data API's blobs, trees and commits with real git SHAs (see "Git data"),
GitHub's headers and error bodies.

Contract validation
-------------------
Every request (path and query parameters, JSON body) and every response (a status the
operation declares, its JSON body) is checked against
tests/contract/github-openapi-subset.json. A failure is appended to ``fake.violations``
and the fake answers 500 with a body naming it, so no test can pass over it; the
``fake_github`` fixture asserts ``fake.violations == []`` at teardown.

The validator is ``openapi-schema-validator`` (python-openapi, who also maintain
openapi-core). Its OAS30WriteValidator (requests) and OAS30ReadValidator (responses)
implement OpenAPI 3.0's schema dialect on top of ``jsonschema``, already a dependency
of mlci: ``nullable``, ``readOnly``/``writeOnly``, 3.0's draft-4 keywords. Chosen over
converting ``nullable`` by hand (a converter of ours could itself be wrong), and over
openapi-core, whose request and response wrappers we would still have to adapt to
http.server, which brings werkzeug, parse and isodate, and whose current release (0.23.1)
pins openapi-schema-validator <0.9 and jsonschema-path <0.5, older than the current ones. What openapi-core
would add here, routing, parameter deserialisation and status checks, is a few lines
below (``Contract``). Formats are checked by an explicit checker (``FORMATS``), so a
result never depends on which optional jsonschema format packages are installed.

Where GitHub and its description part ways (the fake follows GitHub)
--------------------------------------------------------------------
- GitHub answers 401, 403, 404 and 422 on operations whose description does not
  declare them (checks/create declares only 201, yet refuses 51 annotations with 422
  and a read-only token with 403). These four statuses are allowed on every operation;
  their bodies are validated against ``basic-error`` / ``validation-error``.
- A request body over a limit the description states (``maxLength``, ``maxItems``) gets
  GitHub's 422 "Invalid request.\\n\\nNo more than 50 items are allowed; 51 were
  supplied." rather than a violation: a size limit is a condition the client meets at
  run time and must handle. Any other request that fails the description is a violation.
- ``link`` headers point to ``/repositories/{id}/...``, a form the description does not
  list; it is served as an alias of ``/repos/{owner}/{repo}/...`` and validated as that.
- A check run summary or text of at most 65,535 characters but more than 65,535 UTF-8
  bytes gets GitHub's 422 "summary exceeds a maximum bytesize of 65535".
- ``nullable: true`` is read as "null is valid here" even beside an ``enum`` without null
  or a ``oneOf`` without ``type`` (a check run's ``conclusion``, a commit's ``author``):
  see ``_nullable_means_null_is_valid``.
- A check run, status or commit on a SHA GitHub does not know gets 422 "No commit found
  for SHA: ..."; ``add_pull`` and ``add_commit`` make SHAs known.
- A status declared without a body (git/delete-ref's ``"422": {}``, repos/get-release's
  ``"401": {}``) still gets GitHub's error body ("Reference does not exist"), validated
  against ``basic-error`` / ``validation-error`` as above.
- Path parameters marked ``x-multi-segment`` (a git ref "tags/model@v1.0.0", a file path,
  a release's tag) match slashes, as GitHub does; PyGithub's get_git_ref sends them unescaped.
- git/list-matching-refs declares no ``per_page``/``page``: it answers every match at once.
- repos/upload-release-asset declares its body as ``application/octet-stream`` only, while its own text
  (and GitHub) take the asset's media type as the ``Content-Type`` ("For example: application/zip"): any
  ``type/subtype`` is accepted for that raw body, none is a violation, and the asset keeps the type sent.
- An upload that fails upstream "may leave an empty asset with a state of ``starter``", says that text, but
  ``release-asset.state`` is ``uploaded`` or ``open``: an unfinished asset (``add_asset(..., state="open")``)
  is shown as ``open``, which the schema allows.

Servers
-------
The description serves most operations from ``https://api.github.com``; repos/upload-release-asset is
served from ``https://uploads.github.com``, the origin of a release's ``upload_url``. The fake serves
both on its one origin, the uploads server under ``/api/uploads`` (``SERVER_PREFIXES``), as GitHub
Enterprise Server does (``https://HOST/api/uploads``); a release's ``upload_url`` points there. A request
is routed only to operations of the server its path prefix names: an upload sent to the API's origin
(not through ``upload_url``) is a violation, as is an API call under ``/api/uploads``.

State API for tests
-------------------
``fake.url`` (the API base), ``add_token(token, read_only=False)``, ``add_repo("acme/churn")``,
``add_pull(repo, number, head_sha, base_sha, fork=False, commits=None)`` (again to move a pull request on),
``add_commit(repo, sha)``, ``add_comment(repo, number, body, user=..., bot=None)``,
``delete_comment(repo, comment_id)`` (a person deletes one), ``comments(repo, number)``,
``add_commit_comment(repo, sha, body, user=..., bot=None)``, ``commit_comments(repo, sha)`` (a commit's comments),
``add_issue(repo, title, body, labels=[...], user=..., state="open")`` (an issue, not a pull request: the
repository's next number, which the two share), ``issues(repo)`` (every issue, by number, as the API shows it;
``issues/list-for-repo`` lists pull requests too, with ``pull_request``, as GitHub does),
``check_runs(repo, sha)`` (with ``output["annotations"]``: every batch), ``statuses(repo, sha)``,
``add_branch(repo, name, sha)`` (a release without ``target_commitish`` tags the default branch's head),
``add_tag(repo, name, commit_sha, message=None)`` (lightweight, or annotated with a message),
``tags(repo)`` (name -> {"sha": the ref's target, "object": the tag object or None}), ``releases(repo)``,
``assets(repo, tag)`` (the release's assets with their bytes: name, size, content_type, label, state, content),
``add_asset(repo, tag, name, content, state="uploaded")`` (one uploaded earlier; "open": an unfinished one),
``requests`` ((method, path with query, status) seen; status 0 for a dropped connection),
``reset_requests()``, ``violations``, ``rate_limit`` (5000; lower it to exhaust it). Add state after
``start()``: the JSON it returns names the server's URL.

Git data
--------
Blobs, trees and commits made through the git data API are stored under the SHA git computes
(``git_object_sha`` of the object's bytes: ``git_tree_bytes``, ``git_commit_text``), so a test can check
them against ``git hash-object``/``git mktree``. Trees nest; ``base_tree`` plus entries replaces or adds
paths, ``sha: null`` deletes a file (422 "GitRPC::BadObjectState" for a path that is not there, as GitHub's
docs say it errs, and for a folder: deleting a folder that way is reported to fail the same way on GitHub,
go-github#2418 and a Stack Overflow answer's comments, so it is refused here too), and a folder left empty
goes. ``GET git/trees/{sha}?recursive=1`` lists folders before their contents and stops at
``tree_entry_limit`` entries with ``truncated: true``. ``PATCH git/refs/{ref}`` refuses a move that is not a
fast-forward without ``force`` (422 "Update is not a fast forward"). ``GET commits/{ref}`` resolves a branch
or tag name; an unknown one is 422 "No commit found for SHA: <ref>", as GitHub answers.
Test helpers: ``file_at(repo, commit, path)`` (bytes or None), ``paths_at(repo, commit)``,
``git_commit(repo, sha)``, ``ref(repo, "refs/heads/x")``, ``commit_files(repo, branch, {path: bytes})``
(another writer's commit), ``protect_branch(repo, branch, status=422, message=None)`` (writes to its ref
refused as GitHub refuses them on a protected branch), ``before(method, path_regex, action)`` (run
``action`` just before a matching request is served: another writer getting in first).

Fault injection
---------------
``fake.inject(method, path_regex, status=502, headers=None, body=None, times=1, drop=False, after=False,
delay=0.0)`` makes the next ``times`` matching requests fail with that status, or lose their connection
without an answer (``drop=True``). With ``after=True`` the request is served first, checked
against the contract and its writes done, and only its answer is lost: GitHub created the
check run, the client saw a 502 or nothing. ``delay`` holds the answer back that many seconds
(longer than the client's timeout: a read timeout, after the write with ``after=True``). ``secondary_rate_limit`` and ``primary_rate_limit``
build GitHub's rate limit answers. Injected answers skip the contract check.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import http
import itertools
import json
import re
import socket
import threading
import time
import traceback
import urllib.parse
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple

from jsonschema import FormatChecker
from jsonschema.exceptions import ValidationError, best_match
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator
from referencing import Registry
from referencing.jsonschema import DRAFT4

SUBSET_PATH = Path(__file__).resolve().parents[1] / "contract" / "github-openapi-subset.json"
SUBSET_URI = "urn:mlci:github-openapi-subset"
API_VERSION = "2022-11-28"
GENERIC_ERRORS = {401: "basic-error", 403: "basic-error", 404: "basic-error", 422: "validation-error"}
COMMENT_BODY_LIMIT = 65_536
CHECK_TEXT_BYTES = 65_535
MAX_PER_PAGE = 100
RATE_LIMIT_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
SECONDARY_RATE_LIMIT_DOCS = ("https://docs.github.com/free-pro-team@latest/rest/overview/"
                             "rate-limits-for-the-rest-api#about-secondary-rate-limits")
# The permission GitHub names (x-accepted-github-permissions) when a read-only token writes: by operationId, else by
# the operation's first tag, else contents=write (git refs and tags, releases).
WRITE_PERMISSIONS = {"issues": "issues=write; pull_requests=write", "checks": "checks=write",
                     "repos/create-commit-status": "statuses=write", "issues/create": "issues=write",
                     "issues/update": "issues=write", "actions": "actions=write", "pulls": "pull_requests=write"}
# Where the fake serves each server of the description: the API at its root, the uploads server (a release's
# upload_url) under a prefix, as GitHub Enterprise Server lays them out on one host.
API_SERVER = "https://api.github.com"
UPLOADS_SERVER = "https://uploads.github.com"
SERVER_PREFIXES = {API_SERVER: "", UPLOADS_SERVER: "/api/uploads"}
MEDIA_TYPE = re.compile(r"^[A-Za-z0-9][\w!#$&^.+-]*/[A-Za-z0-9][\w!#$&^.+-]*(\s*;.*)?$")


# --- Formats ---------------------------------------------------------------------------------------------------------

FORMATS = FormatChecker(formats=())
_DATE_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$", re.IGNORECASE)


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.match(value):
        return False
    try:
        dt.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return bool(re.fullmatch(r"\d{4}-\d\d-\d\d", value))


def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urllib.parse.urlsplit(value)
    return bool(parts.scheme) and not re.search(r"\s", value)


def _is_email(value: object) -> bool:
    return not isinstance(value, str) or "@" in value


def _int_range(bits: int) -> Callable[[object], bool]:
    def check(value: object) -> bool:
        return not isinstance(value, int) or isinstance(value, bool) or -(2 ** (bits - 1)) <= value < 2 ** (bits - 1)
    return check


def _is_nwo(value: object) -> bool:
    """``repo.nwo``: a repository's "name with owner" (pulls/create's ``head_repo``)."""
    return not isinstance(value, str) or bool(re.fullmatch(r"[A-Za-z0-9-]+/[A-Za-z0-9._-]+", value))


for _name, _check in (("date-time", _is_date_time), ("date", _is_date), ("uri", _is_uri), ("email", _is_email),
                      ("int32", _int_range(32)), ("int64", _int_range(64)), ("repo.nwo", _is_nwo)):
    FORMATS.checks(_name)(_check)
# Formats in the subset that carry no check: "uri-template" (a URL with {placeholders}), "timestamp", "binary" (an
# asset's raw bytes: a request body that is not JSON, so no value to check).
UNCHECKED_FORMATS = {"uri-template", "timestamp", "binary"}


# --- The validators --------------------------------------------------------------------------------------------------

def _null_passes(keyword: Callable[..., Iterator[ValidationError]]) -> Callable[..., Iterator[ValidationError]]:
    def check(validator: Any, value: Any, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
        if instance is None and schema.get("nullable") is True:
            return
        yield from keyword(validator, value, instance, schema)
    return check


def _nullable_means_null_is_valid(cls: Any) -> Any:
    """``cls`` reading ``nullable: true`` as "null is a valid value here", whatever else the schema says.

    OpenAPI 3.0.3 made ``nullable`` add null to ``type`` only, leaving ``enum`` and ``oneOf`` to reject it, and
    openapi-schema-validator follows 3.0.3. GitHub's description is written for the earlier reading: the
    check run's ``conclusion`` is ``nullable`` with an enum lacking null, a commit's ``author`` is ``nullable``
    with a ``oneOf`` and no ``type``, and GitHub sends null in both (an unfinished check run, an unknown
    author), as Octokit's generated types allow.
    """
    from jsonschema.validators import extend

    return extend(cls, {k: _null_passes(cls.VALIDATORS[k]) for k in ("enum", "oneOf", "anyOf", "allOf", "not")})


READ_VALIDATOR = _nullable_means_null_is_valid(OAS30ReadValidator)
WRITE_VALIDATOR = _nullable_means_null_is_valid(OAS30WriteValidator)


# --- The contract ----------------------------------------------------------------------------------------------------

def pointer(*parts: str) -> str:
    """A JSON pointer into the subset, as a fragment: pointer("paths", "/repos/{owner}/{repo}", "get")."""
    return "#/" + "/".join(urllib.parse.quote(p.replace("~", "~0").replace("/", "~1"), safe="~@!$&'()*+,;=:{}")
                           for p in parts)


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    regex: re.Pattern[str]
    operation: dict[str, Any]
    at: str  # the operation's pointer
    server: str = API_SERVER  # the operation's own server, else the description's

    @property
    def binary_body(self) -> bool:
        """The operation takes a raw body (an asset's bytes), not JSON."""
        content = self.operation.get("requestBody", {}).get("content", {})
        return bool(content) and "application/json" not in content

    @property
    def operation_id(self) -> str:
        return str(self.operation["operationId"])

    @property
    def label(self) -> str:
        return f"{self.method} {self.template} ({self.operation_id})"

    @property
    def docs(self) -> str:
        return str(self.operation.get("externalDocs", {}).get("url", "https://docs.github.com/rest"))


class Contract:
    """Routes requests to the subset's operations and checks requests and responses against them."""

    def __init__(self, path: Path = SUBSET_PATH) -> None:
        self.doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        self.registry: Registry = Registry().with_resource(SUBSET_URI, DRAFT4.create_resource(self.doc))
        self._validators: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        routes = []
        for template, item in self.doc["paths"].items():
            for method, operation in item.items():
                if isinstance(operation, dict) and "operationId" in operation:
                    # A parameter marked x-multi-segment (a git ref "tags/v1", a file path) may hold slashes.
                    multi = {param["name"] for param in self._declared(item, operation) if param.get("x-multi-segment")}
                    regex = re.compile("^" + re.sub(
                        r"\\\{(\w+)\\\}", lambda m: f"(?P<{m[1]}>{'.+' if m[1] in multi else '[^/]+'})",
                        re.escape(template)) + "$")
                    servers = operation.get("servers") or item.get("servers") or self.doc.get("servers") or []
                    server = str(servers[0]["url"]) if servers else API_SERVER
                    if server not in SERVER_PREFIXES:
                        raise ValueError(f"{method.upper()} {template} is served by {server}, which the fake does not "
                                         "serve: add it to SERVER_PREFIXES")
                    routes.append(Route(method.upper(), template, regex, operation, pointer("paths", template, method),
                                        server))
        # The most literal template first, should two ever match one path.
        self.routes = sorted(routes, key=lambda r: -len(re.sub(r"\{\w+\}", "", r.template)))

    def _declared(self, item: dict[str, Any], operation: dict[str, Any]) -> list[dict[str, Any]]:
        """The parameters of a path item and its operation, references resolved."""
        return [self.resolve(p["$ref"]) if "$ref" in p else p
                for p in [*item.get("parameters", []), *operation.get("parameters", [])]]

    def resolve(self, ref: str) -> Any:
        node: Any = self.doc
        for part in ref.removeprefix("#/").split("/"):
            key = urllib.parse.unquote(part).replace("~1", "/").replace("~0", "~")
            node = node[int(key)] if isinstance(node, list) else node[key]
        return node

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            found = route.regex.match(path)
            if found and route.method == method:
                return route, {k: urllib.parse.unquote(v) for k, v in found.groupdict().items()}
        return None

    def operation(self, operation_id: str) -> Route:
        return next(r for r in self.routes if r.operation_id == operation_id)

    def errors(self, at: str, instance: Any, *, writing: bool) -> list[ValidationError]:
        """The validation errors of ``instance`` against the schema at pointer ``at`` (a request if ``writing``)."""
        key = (at, "write" if writing else "read")
        with self._lock:
            validator = self._validators.get(key)
            if validator is None:
                cls = WRITE_VALIDATOR if writing else READ_VALIDATOR
                validator = cls({"$ref": SUBSET_URI + at}, registry=self.registry, format_checker=FORMATS)
                self._validators[key] = validator
            return sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))

    def parameters(self, route: Route) -> list[tuple[dict[str, Any], str]]:
        """The operation's parameters, each with the pointer of its schema."""
        out = []
        path_item = self.doc["paths"][route.template]
        for where, params in ((pointer("paths", route.template), path_item.get("parameters", [])),
                              (route.at, route.operation.get("parameters", []))):
            for i, param in enumerate(params):
                if "$ref" in param:
                    out.append((self.resolve(param["$ref"]), param["$ref"] + "/schema"))
                else:
                    out.append((param, f"{where}/parameters/{i}/schema"))
        return out

    def check_request(self, route: Route, path_params: dict[str, str], query: dict[str, str],
                      body: Any) -> tuple[list[str], list[ValidationError]]:
        """(violations, size-limit errors GitHub answers with 422) of a request."""
        problems: list[str] = []
        declared = self.parameters(route)
        for param, at in declared:
            name, where = param["name"], param["in"]
            values = path_params if where == "path" else query if where == "query" else None
            if values is None:
                continue
            if name not in values:
                if param.get("required"):
                    problems.append(f"{where} parameter {name!r} is required")
                continue
            schema = self.resolve(at)
            for error in self.errors(at, _coerce(values[name], schema), writing=True)[:3]:
                problems.append(f"{where} parameter {name}={values[name]!r}: {_short(error.message)}")
        known = {p["name"] for p, _ in declared if p["in"] == "query"}
        problems += [f"query parameter {name!r} is not declared" for name in query if name not in known]

        limits: list[ValidationError] = []
        request_body = route.operation.get("requestBody")
        if request_body is None:
            if body is not None:
                problems.append("a body was sent, but the operation takes none")
        elif body is None:
            if request_body.get("required"):
                problems.append("the request body is required")
        elif route.binary_body:
            pass  # raw bytes (`format: binary`): any; their Content-Type is checked where the body is read
        else:
            at = route.at + "/requestBody/content/" + pointer("application/json")[2:] + "/schema"
            for error in self.errors(at, body, writing=True):
                if error.validator in ("maxLength", "maxItems") and not error.context:
                    limits.append(error)
                else:
                    problems.append(f"request body at {error.json_path}: {_short(best_match([error]).message)}")
        return problems, limits

    def check_response(self, route: Route, status: int, body: Any, has_body: bool) -> list[str]:
        responses = route.operation["responses"]
        declared = responses.get(str(status))
        if declared is not None:
            at = route.at + "/responses/" + str(status)
            if "$ref" in declared:
                at = declared["$ref"]
                declared = self.resolve(at)
            content = declared.get("content")
            if not content and status in GENERIC_ERRORS and has_body:
                # Declared without a body (git/delete-ref's 422, repos/get-release's 401), yet GitHub sends its
                # error body: held to the generic error schema.
                at = pointer("components", "schemas", GENERIC_ERRORS[status])
                return [f"response {status} body at {e.json_path}: {_short(best_match([e]).message)}"
                        for e in self.errors(at, body, writing=False)[:5]]
            if not content:
                return ["the operation declares no body for this status, but one was sent"] if has_body else []
            if "application/json" not in content:
                return [f"status {status} declares {sorted(content)}, not application/json"]
            at += "/content/" + pointer("application/json")[2:] + "/schema"
        elif status in GENERIC_ERRORS:
            at = pointer("components", "schemas", GENERIC_ERRORS[status])
        else:
            return [f"status {status} is not declared (declared: {', '.join(responses)})"]
        if not has_body:
            return [f"status {status} declares a JSON body, but none was sent"]
        errors = self.errors(at, body, writing=False)
        return [f"response {status} body at {e.json_path}: {_short(best_match([e]).message)}" for e in errors[:5]]


def _coerce(value: str, schema: dict[str, Any]) -> Any:
    """A path or query string as the type its schema names (so a validator can judge it)."""
    kind = schema.get("type")
    if kind == "integer" and re.fullmatch(r"-?\d+", value):
        return int(value)
    if kind == "number" and re.fullmatch(r"-?\d+(\.\d+)?", value):
        return float(value)
    if kind == "boolean" and value in ("true", "false"):
        return value == "true"
    return value


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def limit_message(error: ValidationError) -> str:
    """GitHub's wording for a request over a size limit of its schema."""
    size = len(error.instance)
    if error.validator == "maxItems":
        return f"No more than {error.validator_value} items are allowed; {size} were supplied."
    return f"Only {error.validator_value} characters are allowed; {size} were supplied."


# --- State -----------------------------------------------------------------------------------------------------------

class Request(NamedTuple):
    method: str
    path: str  # as sent, with its query string
    status: int  # 0 when the connection was dropped


@dataclass
class Reply:
    status: int
    body: Any = None  # JSON-able; None for no body
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # a body sent as is (injected answers)
    delay: float = 0.0  # seconds to hold the answer back (injected answers)


ErrorReply = Callable[..., "Reply"]  # error(status, message, extra_headers=None, **fields) -> Reply


@dataclass
class Injection:
    method: str
    path: re.Pattern[str]
    status: int
    headers: dict[str, str]
    body: Any
    times: int
    drop: bool
    after: bool = False  # serve the request (do its writes), then lose or replace its answer
    delay: float = 0.0  # seconds before the answer is sent


@dataclass
class Before:
    method: str
    path: re.Pattern[str]
    action: Callable[[], None]
    times: int


@dataclass
class Token:
    read_only: bool
    login: str


class TreeEntry(NamedTuple):
    mode: str  # as git stores it: "100644", "100755", "40000" (a tree), "160000", "120000"
    name: str
    sha: str

    @property
    def kind(self) -> str:
        return "tree" if self.mode == "40000" else "commit" if self.mode == "160000" else "blob"

    @property
    def api_mode(self) -> str:
        """The mode as the API shows and takes it (a tree's with its leading 0)."""
        return "040000" if self.mode == "40000" else self.mode


@dataclass(frozen=True)
class GitPerson:
    name: str
    email: str
    when: dt.datetime  # aware


@dataclass(frozen=True)
class GitCommit:
    sha: str
    tree: str
    parents: tuple[str, ...]
    author: GitPerson
    committer: GitPerson
    message: str
    login: str  # the token's user that made it


@dataclass
class Repo:
    id: int
    owner: str
    name: str
    owner_type: str
    private: bool
    default_branch: str
    fork: bool
    created_at: str
    commits: set[str] = field(default_factory=set)
    files: dict[tuple[str, str], bytes] = field(default_factory=dict)  # (branch, path) -> content
    refs: dict[str, str] = field(default_factory=dict)  # "refs/tags/v1" -> a commit's or a tag object's SHA
    tag_objects: dict[str, dict[str, Any]] = field(default_factory=dict)  # SHA -> annotated tag object
    # The git data API's objects, each under the SHA git gives it (see "Git data" in the module's doc).
    blobs: dict[str, bytes] = field(default_factory=dict)  # SHA -> content
    trees: dict[str, list[TreeEntry]] = field(default_factory=dict)  # SHA -> entries, in git's order
    git_commits: dict[str, GitCommit] = field(default_factory=dict)  # SHA -> commit object
    protected: dict[str, tuple[int, str | None]] = field(default_factory=dict)  # branch -> (status, message)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass
class Pull:
    id: int
    repo: str
    number: int
    head_sha: str
    base_sha: str
    head_ref: str
    base_ref: str
    head_repo: str
    author: str
    title: str
    state: str
    created_at: str
    commits: list[str]
    files: list[str] = field(default_factory=list)  # the paths the PR changes
    labels: list[str] = field(default_factory=list)
    body: str | None = None
    merge_commit: str | None = None  # set when merged: the commit it made on the base branch
    merged_at: str | None = None


BOT = "github-actions[bot]"
KNOWN_USERS = {BOT: (41898282, "Bot"), "github": (9919, "Organization"), "octocat": (583231, "User")}


class FakeGitHub:
    """A stateful fake of GitHub's REST API; see the module docstring. Start with ``start()`` or ``with``."""

    def __init__(self, *, contract: Contract | None = None, server_url: str = "https://github.com",
                 rate_limit: int = 5000, clock: Callable[[], dt.datetime] | None = None) -> None:
        self.contract = contract or Contract()
        self.server_url = server_url.rstrip("/")
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self.violations: list[str] = []
        self.requests: list[Request] = []
        self.rate_limit = rate_limit
        self.rate_used = 0
        self.rate_reset = int(time.time()) + 3600
        self._lock = threading.RLock()
        self._tokens: dict[str, Token] = {}
        self._repos: dict[str, Repo] = {}
        self._pulls: dict[tuple[str, int], Pull] = {}
        self._comments: dict[int, dict[str, Any]] = {}
        self._issues: dict[tuple[str, int], dict[str, Any]] = {}  # issues proper; a PR is an issue too (its number)
        self._commit_comments: dict[int, dict[str, Any]] = {}  # another id space than issue comments, as on GitHub
        self._check_runs: dict[int, dict[str, Any]] = {}
        self._statuses: list[dict[str, Any]] = []
        self._releases: dict[int, dict[str, Any]] = {}
        self._dispatches: list[dict[str, Any]] = []
        self._injections: list[Injection] = []
        self._befores: list[Before] = []
        # GitHub's recursive tree listing stops at 100,000 entries (or 7 MB) and says ``truncated``; lower it to test.
        self.tree_entry_limit = 100_000
        self._ids = {kind: itertools.count(start) for kind, start in
                     (("repo", 1_296_269), ("pull", 1_934_000_001), ("comment", 2_700_000_001),
                      ("issue", 3_600_000_001),
                      ("commit_comment", 150_000_001),
                      ("check_run", 30_000_000_001), ("check_suite", 28_000_000_001), ("status", 34_000_000_001),
                      ("release", 160_000_001), ("asset", 210_000_001))}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()

    # --- Life cycle ----------------------------------------------------------------------------------------------

    def start(self) -> FakeGitHub:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-github", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            for conn in list(self._connections):  # idle keep-alive connections of clients
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The API base URL (GITHUB_API_URL), e.g. http://127.0.0.1:40123."""
        if self._server is None:
            raise RuntimeError("the fake GitHub is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # --- State API for tests ---------------------------------------------------------------------------------

    def add_token(self, token: str, read_only: bool = False, *, login: str = BOT) -> str:
        """Accept ``token``; a ``read_only`` one (a fork PR's GITHUB_TOKEN) gets 403 on every write."""
        with self._lock:
            self._tokens[token] = Token(read_only, login)
        return token

    def add_repo(self, full_name: str, *, private: bool = False, default_branch: str = "main",
                 owner_type: str = "Organization", fork: bool = False) -> dict[str, Any]:
        owner, name = full_name.split("/")
        with self._lock:
            if full_name not in self._repos:
                self._repos[full_name] = Repo(next(self._ids["repo"]), owner, name, owner_type, private,
                                              default_branch, fork, self._now())
            return self._full_repo_json(self._repos[full_name])

    def add_file(self, repo: str, path: str, content: str | bytes, *, ref: str | None = None) -> None:
        """A file on branch ``ref`` (default: the default branch), served by the contents API."""
        with self._lock:
            found = self._repo(repo)
            data = content.encode("utf-8") if isinstance(content, str) else content
            found.files[(ref or found.default_branch, path)] = data

    def add_commit(self, repo: str, sha: str) -> None:
        """Make ``sha`` a commit GitHub knows in ``repo`` (check runs and statuses need one)."""
        with self._lock:
            self._repo(repo).commits.add(sha)

    def add_pull(self, repo: str, number: int, head_sha: str, base_sha: str, fork: bool = False, *,
                 commits: list[str] | None = None, head_ref: str = "feature", base_ref: str | None = None,
                 author: str | None = None, title: str | None = None, state: str = "open") -> dict[str, Any]:
        """An open pull request; ``fork`` puts its head in ``<author>/<repo name>`` (author "contributor").

        ``commits``: the PR's commits, oldest first (default: just ``head_sha``). Adding a number again moves
        that pull request on (a push to its branch): same id and comments, new head and commits.
        """
        with self._lock:
            base = self._repo(repo)
            earlier = self._pulls.get((repo, number))
            author = author or (earlier.author if earlier else "contributor" if fork else "octocat")
            head_repo = f"{author}/{base.name}" if fork else repo
            if fork:
                self.add_repo(head_repo, owner_type="User", fork=True)
            commits = list(commits or [head_sha])
            if commits[-1] != head_sha:
                raise ValueError("the last of a pull request's commits is its head")
            base.commits |= {base_sha, *commits}
            self._repos[head_repo].commits |= set(commits)
            if (repo, number) in self._issues:
                raise ValueError(f"{repo}#{number} is an issue: pull requests and issues share their numbers")
            pull = Pull(earlier.id if earlier else next(self._ids["pull"]), repo, number, head_sha, base_sha,
                        head_ref, base_ref or base.default_branch, head_repo, author,
                        title or (earlier.title if earlier else f"Change #{number}"), state,
                        earlier.created_at if earlier else self._now(), commits)
            self._pulls[(repo, number)] = pull
            return self._pull_json(pull)

    def merge_pull(self, repo: str, number: int, merge_commit: str, *, labels: list[str] | None = None,
                   body: str | None = None) -> dict[str, Any]:
        """Merge pull request ``number`` as ``merge_commit`` (a squash or merge commit on its base), with
        ``labels`` and a description: what `GET /commits/{sha}/pulls` finds for that commit."""
        with self._lock:
            pull = self._pulls[(repo, number)]
            pull.state, pull.merge_commit, pull.merged_at = "closed", merge_commit, self._now()
            pull.labels, pull.body = list(labels or []), body
            self._repo(repo).commits.add(merge_commit)
            return self._pull_json(pull)

    def add_comment(self, repo: str, number: int, body: str, *, user: str = BOT, bot: bool | None = None,
                    created_at: str | None = None) -> dict[str, Any]:
        """Seed a comment on issue or pull request ``number`` by ``user``, as if posted earlier.

        ``bot``: whether ``user`` is a bot (``type: "Bot"``); by default, when its login ends in "[bot]".
        """
        with self._lock:
            self._issue(repo, number)
            return self._new_comment(repo, number, body, user, created_at, bot)

    def delete_comment(self, repo: str, comment_id: int) -> None:
        """A person deletes a comment."""
        with self._lock:
            comment = self._comments.get(comment_id)
            if comment is None or comment["repo"] != repo:
                raise KeyError(f"no comment {comment_id} in {repo}")
            del self._comments[comment_id]

    def comments(self, repo: str, number: int) -> list[dict[str, Any]]:
        """The comments on ``number``, oldest first, as the API shows them."""
        with self._lock:
            return [self._comment_json(c) for c in self._issue_comments(repo, number)]

    def add_commit_comment(self, repo: str, sha: str, body: str, *, user: str = BOT,
                           bot: bool | None = None) -> dict[str, Any]:
        """Seed a comment on commit ``sha`` (made known) by ``user``, as if posted earlier."""
        with self._lock:
            self._repo(repo).commits.add(sha)
            return self._new_commit_comment(repo, sha, body, user, bot)

    def commit_comments(self, repo: str, sha: str) -> list[dict[str, Any]]:
        """The comments on commit ``sha``, oldest first, as the API shows them."""
        with self._lock:
            return [self._commit_comment_json(c) for c in self._comments_on_commit(repo, sha)]

    def add_issue(self, repo: str, title: str, body: str | None = None, *, labels: list[str] | None = None,
                  user: str = BOT, bot: bool | None = None, state: str = "open", state_reason: str | None = None,
                  created_at: str | None = None) -> dict[str, Any]:
        """Seed an issue (not a pull request) by ``user``, as if opened earlier: the next number of ``repo``
        (issues and pull requests share them); ``state="closed"`` closes it (``state_reason`` default
        "completed"). Returns it as the API shows it."""
        with self._lock:
            issue = self._new_issue(self._repo(repo), title, body, labels or [], user, bot, created_at)
            if state == "closed":
                self._set_state(issue, "closed", state_reason or "completed", user)
            return self._issue_json(issue)

    def issues(self, repo: str) -> list[dict[str, Any]]:
        """The issues of ``repo`` (not pull requests), every state, by number, as the API shows them."""
        with self._lock:
            return [self._issue_json(i) for key, i in sorted(self._issues.items()) if key[0] == repo]

    def check_runs(self, repo: str, sha: str) -> list[dict[str, Any]]:
        """The check runs on ``sha``, oldest first, as the API shows them, plus ``output["annotations"]``:
        every annotation sent, all batches appended."""
        with self._lock:
            runs = []
            for run in self._check_runs.values():
                if run["repo"] == repo and run["head_sha"] == sha:
                    shown = self._check_run_json(run)
                    shown["output"]["annotations"] = copy.deepcopy(run["annotations"])
                    runs.append(shown)
            return runs

    def statuses(self, repo: str, sha: str) -> list[dict[str, Any]]:
        """The commit statuses on ``sha``, oldest first, as the API shows them."""
        with self._lock:
            return [self._status_json(s) for s in self._statuses if s["repo"] == repo and s["sha"] == sha]

    def add_branch(self, repo: str, name: str, sha: str) -> None:
        """Branch ``name`` (refs/heads/) at commit ``sha``, made known; a release without ``target_commitish``
        tags the default branch's."""
        with self._lock:
            found = self._repo(repo)
            found.commits.add(sha)
            found.refs[f"refs/heads/{name}"] = sha

    def add_tag(self, repo: str, name: str, commit_sha: str, message: str | None = None) -> dict[str, Any]:
        """Seed tag ``name`` on commit ``commit_sha`` (made known), as if pushed earlier: lightweight, or annotated
        with ``message`` (tagger "mlci tests" <tests@mlci.invalid>, now). Again with a name moves the tag.
        Returns ``tags(repo)[name]``."""
        with self._lock:
            found = self._repo(repo)
            found.commits.add(commit_sha)
            target = commit_sha
            if message is not None:
                target = self._new_tag_object(found, name, message, commit_sha, "commit",
                                              {"name": "mlci tests", "email": "tests@mlci.invalid"})["sha"]
            found.refs[f"refs/tags/{name}"] = target
            return self.tags(repo)[name]

    def tags(self, repo: str) -> dict[str, dict[str, Any]]:
        """Every tag by name: ``{"sha": what refs/tags/<name> points at, "object": the annotated tag object as
        git/get-tag shows it, or None for a lightweight tag}``."""
        with self._lock:
            found = self._repo(repo)
            objects = found.tag_objects
            return {ref.removeprefix("refs/tags/"): {
                        "sha": sha, "object": self._git_tag_json(found, objects[sha]) if sha in objects else None}
                    for ref, sha in sorted(found.refs.items()) if ref.startswith("refs/tags/")}

    def releases(self, repo: str) -> list[dict[str, Any]]:
        """The releases of ``repo``, drafts too, oldest first, as the API shows them."""
        with self._lock:
            return [self._release_json(r) for r in sorted(self._releases.values(), key=lambda r: r["id"])
                    if r["repo"] == repo]

    def assets(self, repo: str, tag: str) -> list[dict[str, Any]]:
        """The assets of ``tag``'s published release, oldest first, as the API shows them, plus ``content``:
        the bytes uploaded."""
        with self._lock:
            release = self._published_release(repo, tag)
            return [{**self._asset_json(release, asset), "content": asset["content"]} for asset in release["assets"]]

    def add_asset(self, repo: str, tag: str, name: str, content: bytes, *, state: str = "uploaded",
                  content_type: str = "application/octet-stream") -> dict[str, Any]:
        """Seed an asset on ``tag``'s published release, as if uploaded earlier; ``state="open"``: an upload that
        never finished (GitHub's "starter" asset, see the module's doc). Returns it as ``assets`` shows it."""
        with self._lock:
            release = self._published_release(repo, tag)
            asset = self._new_asset(release, kept_asset_name(name), content, content_type, BOT, None, state)
            return {**self._asset_json(release, asset), "content": content}

    def reset_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    # --- Git data for tests ------------------------------------------------------------------------------------

    def file_at(self, repo: str, commit_sha: str, path: str) -> bytes | None:
        """The bytes of file ``path`` in the tree of commit ``commit_sha`` (one the git data API made), or None
        when there is no such file there (or no such commit)."""
        with self._lock:
            found = self._repo(repo)
            commit = found.git_commits.get(commit_sha)
            if commit is None:
                return None
            entry = self._entry_at(found, commit.tree, path)
            return found.blobs.get(entry.sha) if entry is not None and entry.kind == "blob" else None

    def paths_at(self, repo: str, commit_sha: str) -> list[str]:
        """Every file's path in the tree of commit ``commit_sha``, sorted (the empty list for an unknown commit)."""
        with self._lock:
            found = self._repo(repo)
            commit = found.git_commits.get(commit_sha)
            if commit is None:
                return []
            return sorted(path for path, entry in self._walk(found, commit.tree) if entry.kind == "blob")

    def git_commit(self, repo: str, sha: str) -> GitCommit | None:
        """The commit object ``sha`` the git data API made (tree, parents, author, message), or None."""
        with self._lock:
            return self._repo(repo).git_commits.get(sha)

    def ref(self, repo: str, name: str) -> str | None:
        """What ref ``name`` ("refs/heads/mlci-assets") points at, or None."""
        with self._lock:
            return self._repo(repo).refs.get(name)

    def commit_files(self, repo: str, branch: str, files: dict[str, bytes | None], *,
                     message: str = "Another writer's commit") -> str:
        """Commit on ``branch`` as another writer would (a second run, a person): ``files`` by path, None to delete
        one, on top of the branch's head (made when missing, as a root commit); the branch moves on. Its SHA."""
        with self._lock:
            found = self._repo(repo)
            head = found.refs.get(f"refs/heads/{branch}")
            base = found.git_commits[head].tree if head in found.git_commits else None
            root = self._expand(found, base)
            for path, data in files.items():
                parts = path.split("/")
                node = root
                for part in parts[:-1]:
                    child = node.get(part)
                    node[part] = node = self._expand(found, child.sha) if isinstance(child, TreeEntry) else (
                        child if isinstance(child, dict) else {})
                if data is None:
                    node.pop(parts[-1], None)
                else:
                    node[parts[-1]] = TreeEntry("100644", parts[-1], self._store_blob(found, data))
            person = GitPerson("mlci tests", "tests@mlci.invalid", self.clock().astimezone(dt.timezone.utc))
            commit = self._store_commit(found, self._store_tree(found, root), (head,) if head else (), person,
                                        person, message, BOT)
            found.refs[f"refs/heads/{branch}"] = commit.sha
            return commit.sha

    def protect_branch(self, repo: str, branch: str, *, status: int = 422, message: str | None = None) -> None:
        """Branch protection on ``branch``: the git data API's writes to its ref (update, delete, and making it)
        answer ``status`` with ``message`` (default GitHub's: "Changes must be made through a pull request." to an
        update, "Reference update failed" to making the ref, as reported for protected names)."""
        with self._lock:
            self._repo(repo).protected[branch] = (status, message)

    def before(self, method: str, path_regex: str, action: Callable[[], None], *, times: int = 1) -> None:
        """Run ``action`` (under the fake's lock: it may change state, e.g. ``commit_files``, but not make
        requests) just before each of the next ``times`` requests matching ``method`` and ``path_regex`` is
        served: another writer getting in first."""
        with self._lock:
            self._befores.append(Before(method.upper(), re.compile(path_regex), action, times))

    # --- Fault injection ---------------------------------------------------------------------------------------

    def inject(self, method: str, path_regex: str, *, status: int = 502, headers: dict[str, str] | None = None,
               body: Any = None, times: int = 1, drop: bool = False, after: bool = False,
               delay: float = 0.0) -> None:
        """Fail the next ``times`` requests whose method is ``method`` ("*" for any) and whose path (no query)
        matches ``path_regex`` (re.search): answer ``status`` with ``headers`` and ``body`` (JSON-able, or
        bytes/str sent as is; default GitHub's {"message": ...}), or close the connection unanswered (``drop``).
        ``after``: first serve the request as usual (contract-checked, its writes done), then fail its answer.
        ``delay``: hold the failed answer back that many seconds (a client with a shorter timeout gives up).
        """
        with self._lock:
            self._injections.append(Injection(method.upper(), re.compile(path_regex), status, dict(headers or {}),
                                              body, times, drop, after, delay))

    def secondary_rate_limit(self, method: str, path_regex: str, *, retry_after: int | None = 1,
                             times: int = 1) -> None:
        """GitHub's secondary rate limit: 403, its message, and ``retry-after`` (left out if None)."""
        request_id = _request_id()
        body = {"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try "
                           f"again. If you reach out to GitHub Support for help, please include the request ID "
                           f"{request_id}.",
                "documentation_url": SECONDARY_RATE_LIMIT_DOCS, "status": "403"}
        headers = {"x-github-request-id": request_id}
        if retry_after is not None:
            headers["retry-after"] = str(retry_after)
        self.inject(method, path_regex, status=403, headers=headers, body=body, times=times)

    def primary_rate_limit(self, method: str, path_regex: str, *, status: int = 403, reset_in: int = 1,
                           times: int = 1) -> None:
        """GitHub's primary rate limit: 403 (or 429), x-ratelimit-remaining 0, x-ratelimit-reset in ``reset_in`` s."""
        reset = int(time.time()) + reset_in
        body = {"message": "API rate limit exceeded for installation ID 12345678.",
                "documentation_url": RATE_LIMIT_DOCS, "status": str(status)}
        headers = {"x-ratelimit-remaining": "0", "x-ratelimit-used": str(self.rate_limit),
                   "x-ratelimit-reset": str(reset)}
        self.inject(method, path_regex, status=status, headers=headers, body=body, times=times)

    # --- Serving -----------------------------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: Any, raw: bytes) -> Reply | None:
        """Answer one request; None drops the connection. Called by the HTTP handler's threads."""
        split = urllib.parse.urlsplit(target)
        with self._lock:
            for before in list(self._befores):
                if before.method in ("*", method) and before.path.search(split.path):
                    before.times -= 1
                    if before.times <= 0:
                        self._befores.remove(before)
                    before.action()
            injection = self._take_injection(method, split.path)
            if injection is not None and not injection.after:
                self.requests.append(Request(method, target, 0 if injection.drop else injection.status))
                return None if injection.drop else self._injected_reply(injection)
            try:
                reply = self._serve(method, split.path, split.query, headers, raw)
            except Exception:  # a bug of the fake: as loud as a violation
                reply = self._violation(f"{method} {split.path}: the fake failed: {traceback.format_exc()}")
            if injection is not None:  # served; its answer is lost or replaced
                self.requests.append(Request(method, target, 0 if injection.drop else injection.status))
                return None if injection.drop else self._injected_reply(injection)
            self.requests.append(Request(method, target, reply.status))
            return reply

    def _take_injection(self, method: str, path: str) -> Injection | None:
        for injection in self._injections:
            if injection.method in ("*", method) and injection.path.search(path):
                injection.times -= 1
                if injection.times <= 0:
                    self._injections.remove(injection)
                return injection
        return None

    def _injected_reply(self, injection: Injection) -> Reply:
        headers = {**self._headers(), **{k.lower(): v for k, v in injection.headers.items()}}
        body = injection.body
        if body is None:
            body = {"message": http.HTTPStatus(injection.status).phrase, "status": str(injection.status)}
        if isinstance(body, (bytes, str)):
            return Reply(injection.status, None, headers, body.encode() if isinstance(body, str) else body,
                         injection.delay)
        return Reply(injection.status, body, headers, delay=injection.delay)

    def _violation(self, message: str) -> Reply:
        self.violations.append(message)
        return Reply(500, {"message": f"mlci fake GitHub: contract violation: {message}",
                           "documentation_url": str(SUBSET_PATH)}, self._headers())

    def _serve(self, method: str, path: str, query_string: str, headers: Any, raw: bytes) -> Reply:
        request_path = path
        server = next((name for name, prefix in SERVER_PREFIXES.items()
                       if prefix and (path == prefix or path.startswith(prefix + "/"))), API_SERVER)
        path = path[len(SERVER_PREFIXES[server]):]
        alias = re.match(r"^/repositories/(\d+)(/.*)?$", path)
        if alias:  # GitHub's link headers use the repository id form
            repo = next((r for r in self._repos.values() if r.id == int(alias.group(1))), None)
            if repo is None:
                return Reply(404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest",
                                   "status": "404"}, self._headers())
            path = f"/repos/{repo.full_name}{alias.group(2) or ''}"
        matched = self.contract.match(method, path)
        if matched is None:
            return self._violation(f"{method} {request_path}: no operation in the contract subset; add it to "
                                   "OPERATIONS in tests/contract/extract_openapi.py and serve it here")
        route, params = matched
        pairs = urllib.parse.parse_qsl(query_string, keep_blank_values=True)
        query = dict(pairs)
        where = f"{method} {request_path} -> {route.label}"
        if route.server != server:
            through = " (through the release's upload_url)" if route.server == UPLOADS_SERVER else ""
            return self._violation(f"{where}: sent to {server}, but the operation is served by {route.server}"
                                   f"{through}")
        if len(query) != len(pairs):
            return self._violation(f"{where}: a query parameter is repeated: {query_string}")
        body: Any = None
        if route.binary_body:
            content_type = headers.get("Content-Type", "")
            if not MEDIA_TYPE.match(content_type):
                return self._violation(f"{where}: a raw body needs the media type of its data as Content-Type, "
                                       f"got {content_type!r}")
            body = raw if raw else None
        elif raw:
            try:
                body = json.loads(raw)
            except ValueError as e:
                return self._violation(f"{where}: the request body is not JSON: {e}")
            content_type = headers.get("Content-Type", "")
            if not content_type.startswith("application/json"):
                return self._violation(f"{where}: a JSON body sent as {content_type!r}")
        problems, limits = self.contract.check_request(route, params, query, body)
        if problems:
            return self._violation(f"{where}: " + "; ".join(problems))

        reply = self._answer(route, params, query, body, headers, limits)
        problems = self.contract.check_response(route, reply.status, reply.body, reply.body is not None)
        if problems:
            return self._violation(f"{where}: " + "; ".join(problems))
        return reply

    def _answer(self, route: Route, params: dict[str, str], query: dict[str, str], body: Any, headers: Any,
                limits: list[ValidationError]) -> Reply:
        def error(status: int, message: str, extra: dict[str, str] | None = None, *,
                  documentation_url: str | None = None, **more: Any) -> Reply:
            """GitHub's error body: message, [errors], documentation_url, status (a string)."""
            payload = {"message": message, **more, "documentation_url": documentation_url or route.docs,
                       "status": str(status)}
            return Reply(status, payload, {**self._headers(), **(extra or {})})

        token = self._token(headers.get("Authorization", ""))
        if token is None:
            return error(401, "Requires authentication" if not headers.get("Authorization") else "Bad credentials")
        counted = route.operation_id != "rate-limit/get"
        if counted and self.rate_used >= self.rate_limit and int(time.time()) < self.rate_reset:
            return error(403, "API rate limit exceeded for installation ID 12345678.",
                         documentation_url=RATE_LIMIT_DOCS)
        if counted:
            self.rate_used += 1
        repo = None
        if "owner" in params:
            repo = self._repos.get(f"{params['owner']}/{params['repo']}")
            if repo is None:
                return error(404, "Not Found")
        if route.method != "GET" and token.read_only:
            tag = route.operation.get("tags", [""])[0]
            return error(403, "Resource not accessible by integration",
                         {"x-accepted-github-permissions": WRITE_PERMISSIONS.get(
                             route.operation_id, WRITE_PERMISSIONS.get(tag, "contents=write"))})
        if limits:
            return error(422, "Invalid request.\n\n" + "\n".join(limit_message(e) for e in limits))
        handler = getattr(self, "_op_" + re.sub(r"\W", "_", route.operation_id))
        reply: Reply = handler(repo=repo, params=params, query=query, body=body, token=token, error=error,
                               headers=headers)
        reply.headers = {**self._headers(), **reply.headers}
        if route.method == "GET" and reply.status == 200:
            digest = hashlib.sha256(json.dumps(reply.body, sort_keys=True).encode()).hexdigest()
            reply.headers.setdefault("etag", f'W/"{digest[:32]}"')
        return reply

    def _token(self, authorization: str) -> Token | None:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() not in ("token", "bearer") or not value:
            return None
        return self._tokens.get(value.strip())

    def _headers(self) -> dict[str, str]:
        return {
            "content-type": "application/json; charset=utf-8",
            "x-github-api-version-selected": API_VERSION,
            "x-github-media-type": "github.v3; format=json",
            "x-ratelimit-limit": str(self.rate_limit),
            "x-ratelimit-remaining": str(max(self.rate_limit - self.rate_used, 0)),
            "x-ratelimit-reset": str(self.rate_reset),
            "x-ratelimit-used": str(self.rate_used),
            "x-ratelimit-resource": "core",
            "x-github-request-id": _request_id(),
            "vary": "Accept, Authorization, Cookie, X-GitHub-OTP,Accept-Encoding, Accept, X-Requested-With",
            "x-content-type-options": "nosniff",
        }

    # --- Operations (named after operationId) -----------------------------------------------------------------

    def _op_repos_get(self, *, repo: Repo, **_: Any) -> Reply:
        return Reply(200, self._full_repo_json(repo))

    def _op_repos_get_content(self, *, repo: Repo, params: dict[str, str], query: dict[str, str],
                              error: ErrorReply, **_: Any) -> Reply:
        """A file as the contents API gives it (base64, wrapped at 60 characters as GitHub does)."""
        ref, path = query.get("ref") or repo.default_branch, params["path"]
        data = repo.files.get((ref, path))
        if data is None:  # else the file in the tree of the commit ``ref`` names (one the git data API made)
            commit = self._resolve_commit(repo, ref)
            made = repo.git_commits.get(commit) if commit else None
            entry = self._entry_at(repo, made.tree, path) if made else None
            data = repo.blobs.get(entry.sha) if entry is not None and entry.kind == "blob" else None
        if data is None:
            return error(404, "Not Found")
        sha = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
        api = f"{self.url}/repos/{repo.full_name}"
        html = f"{self.server_url}/{repo.full_name}/blob/{ref}/{path}"
        encoded = base64.b64encode(data).decode("ascii")
        content = "\n".join(encoded[i:i + 60] for i in range(0, len(encoded), 60)) + "\n"
        links = {"self": f"{api}/contents/{path}?ref={ref}", "git": f"{api}/git/blobs/{sha}", "html": html}
        return Reply(200, {"type": "file", "encoding": "base64", "size": len(data), "name": path.rsplit("/", 1)[-1],
                           "path": path, "content": content, "sha": sha, "url": links["self"], "git_url": links["git"],
                           "html_url": html, "download_url": f"https://raw.githubusercontent.com/{repo.full_name}/{ref}/{path}",
                           "_links": links})

    def _op_pulls_get(self, *, repo: Repo, params: dict[str, str], error: ErrorReply, **_: Any) -> Reply:
        pull = self._pulls.get((repo.full_name, int(params["pull_number"])))
        return Reply(200, self._pull_json(pull)) if pull else error(404, "Not Found")

    def _op_pulls_list_commits(self, *, repo: Repo, params: dict[str, str], query: dict[str, str], error: ErrorReply,
                               **_: Any) -> Reply:
        pull = self._pulls.get((repo.full_name, int(params["pull_number"])))
        if pull is None:
            return error(404, "Not Found")
        return self._page(repo, f"pulls/{pull.number}/commits", query,
                          [self._commit_json(repo, sha) for sha in pull.commits])

    def _op_pulls_list_files(self, *, repo: Repo, params: dict[str, str], query: dict[str, str], error: ErrorReply,
                             **_: Any) -> Reply:
        pull = self._pulls.get((repo.full_name, int(params["pull_number"])))
        if pull is None:
            return error(404, "Not Found")
        api = f"{self.url}/repos/{repo.full_name}"

        def entry(path: str) -> dict[str, Any]:
            sha = hashlib.sha1(path.encode()).hexdigest()
            return {"sha": sha, "filename": path, "status": "modified", "additions": 1, "deletions": 1, "changes": 2,
                    "blob_url": f"{self.server_url}/{repo.full_name}/blob/{pull.head_sha}/{path}",
                    "raw_url": f"{self.server_url}/{repo.full_name}/raw/{pull.head_sha}/{path}",
                    "contents_url": f"{api}/contents/{path}?ref={pull.head_sha}", "patch": "@@ -1 +1 @@\n-a\n+b"}

        return self._page(repo, f"pulls/{pull.number}/files", query, [entry(path) for path in pull.files])

    def set_pull_files(self, repo: str, number: int, files: list[str]) -> None:
        """The paths PR ``number`` changes (what its files endpoint lists)."""
        with self._lock:
            self._pulls[(repo, number)].files = list(files)

    def _op_repos_list_pull_requests_associated_with_commit(self, *, repo: Repo, params: dict[str, str],
                                                           query: dict[str, str], **_: Any) -> Reply:
        sha = params["commit_sha"]
        # GitHub lists the PRs a commit belongs to, and the merged PR whose merge commit it is.
        pulls = sorted((p for p in self._pulls.values() if p.repo == repo.full_name
                        and (p.head_sha == sha or sha in p.commits or p.merge_commit == sha)), key=lambda p: -p.number)
        return self._page(repo, f"commits/{urllib.parse.quote(sha, safe='')}/pulls", query,
                          [self._pull_simple_json(p) for p in pulls])

    def _op_issues_list_comments(self, *, repo: Repo, params: dict[str, str], query: dict[str, str], error: ErrorReply,
                                 **_: Any) -> Reply:
        number = int(params["issue_number"])
        if not self._has_issue(repo.full_name, number):
            return error(404, "Not Found")
        comments = self._issue_comments(repo.full_name, number)
        if "since" in query:
            since = _parse_time(query["since"])
            comments = [c for c in comments if _parse_time(c["updated_at"]) >= since]
        return self._page(repo, f"issues/{number}/comments", query, [self._comment_json(c) for c in comments])

    def _op_issues_create_comment(self, *, repo: Repo, params: dict[str, str], body: dict[str, Any],
                                  token: Token, error: ErrorReply, **_: Any) -> Reply:
        number = int(params["issue_number"])
        if not self._has_issue(repo.full_name, number):
            return error(404, "Not Found")
        if len(body["body"]) > COMMENT_BODY_LIMIT:
            return self._comment_too_long(error)
        comment = self._new_comment(repo.full_name, number, body["body"], token.login, None)
        return Reply(201, comment, {"location": comment["url"]})

    def _op_issues_get_comment(self, *, repo: Repo, params: dict[str, str], error: ErrorReply, **_: Any) -> Reply:
        comment = self._find_comment(repo, params)
        return Reply(200, self._comment_json(comment)) if comment else error(404, "Not Found")

    def _op_issues_update_comment(self, *, repo: Repo, params: dict[str, str], body: dict[str, Any], error: ErrorReply,
                                  **_: Any) -> Reply:
        comment = self._find_comment(repo, params)
        if comment is None:
            return error(404, "Not Found")
        if len(body["body"]) > COMMENT_BODY_LIMIT:
            return self._comment_too_long(error)
        comment["body"] = body["body"]
        comment["updated_at"] = self._now()
        return Reply(200, self._comment_json(comment))

    def _op_issues_delete_comment(self, *, repo: Repo, params: dict[str, str], error: ErrorReply, **_: Any) -> Reply:
        comment = self._find_comment(repo, params)
        if comment is None:
            return error(404, "Not Found")
        del self._comments[comment["id"]]
        return Reply(204)

    def _op_issues_list_for_repo(self, *, repo: Repo, query: dict[str, str], **_: Any) -> Reply:
        """Issues and pull requests (GitHub lists both; a pull request has ``pull_request``) of ``state`` (open
        by default), carrying every label of ``labels`` (comma-separated), by ``creator``, updated ``since``;
        sorted by ``sort`` (created, updated, comments) in ``direction`` (desc by default), paginated."""
        state = query.get("state", "open")
        items = [self._issue_json(i) for key, i in self._issues.items() if key[0] == repo.full_name]
        items += [self._pull_as_issue_json(p) for p in self._pulls.values() if p.repo == repo.full_name]
        items = [i for i in items if state in ("all", i["state"])]
        wanted = [name for name in query.get("labels", "").split(",") if name]
        items = [i for i in items if set(wanted) <= {label["name"] for label in i["labels"]}]
        if "creator" in query:
            items = [i for i in items if i["user"]["login"] == query["creator"]]
        if "since" in query:
            since = _parse_time(query["since"])
            items = [i for i in items if _parse_time(i["updated_at"]) >= since]
        key = {"created": "created_at", "updated": "updated_at", "comments": "comments"}[query.get("sort", "created")]
        items.sort(key=lambda i: (i[key], i["number"]), reverse=query.get("direction", "desc") == "desc")
        return self._page(repo, "issues", query, items)

    def _op_issues_create(self, *, repo: Repo, body: dict[str, Any], token: Token, error: ErrorReply,
                          **_: Any) -> Reply:
        """An issue; labels that do not exist yet are made (GitHub does, for a token that may push)."""
        if len(body.get("body") or "") > COMMENT_BODY_LIMIT:
            return self._comment_too_long(error, "Issue")
        labels = [label if isinstance(label, str) else label.get("name", "") for label in body.get("labels") or []]
        issue = self._new_issue(repo, str(body["title"]), body.get("body"), [n for n in labels if n], token.login,
                                None)
        shown = self._issue_json(issue)
        return Reply(201, shown, {"location": shown["url"]})

    def _op_issues_get(self, *, repo: Repo, params: dict[str, str], error: ErrorReply, **_: Any) -> Reply:
        number = int(params["issue_number"])
        issue = self._issues.get((repo.full_name, number))
        if issue is not None:
            return Reply(200, self._issue_json(issue))
        pull = self._pulls.get((repo.full_name, number))
        return Reply(200, self._pull_as_issue_json(pull)) if pull else error(404, "Not Found")

    def _op_issues_update(self, *, repo: Repo, params: dict[str, str], body: dict[str, Any], token: Token,
                          error: ErrorReply, **_: Any) -> Reply:
        """Title, body, labels (replaced), state and state_reason (kept only when the state changes) of an issue.
        (Editing a pull request through this endpoint is not served: mlci does not.)"""
        issue = self._issues.get((repo.full_name, int(params["issue_number"])))
        if issue is None:
            return error(404, "Not Found")
        if len(body.get("body") or "") > COMMENT_BODY_LIMIT:
            return self._comment_too_long(error, "Issue")
        if body.get("title") is not None:
            issue["title"] = str(body["title"])
        if "body" in body:
            issue["body"] = body["body"]
        if "labels" in body:
            names = [label if isinstance(label, str) else label.get("name", "") for label in body["labels"] or []]
            issue["labels"] = list(dict.fromkeys(n for n in names if n))
        if "state" in body:
            self._set_state(issue, body["state"], body.get("state_reason"), token.login)
        issue["updated_at"] = self._now()
        return Reply(200, self._issue_json(issue))

    def _op_repos_list_comments_for_commit(self, *, repo: Repo, params: dict[str, str], query: dict[str, str],
                                           error: ErrorReply, **_: Any) -> Reply:
        sha = params["commit_sha"]
        if sha not in repo.commits:
            return error(422, f"No commit found for SHA: {sha}")
        items = [self._commit_comment_json(c) for c in self._comments_on_commit(repo.full_name, sha)]
        return self._page(repo, f"commits/{urllib.parse.quote(sha, safe='')}/comments", query, items)

    def _op_repos_create_commit_comment(self, *, repo: Repo, params: dict[str, str], body: dict[str, Any],
                                        token: Token, error: ErrorReply, **_: Any) -> Reply:
        sha = params["commit_sha"]
        if sha not in repo.commits:
            return error(422, f"No commit found for SHA: {sha}")
        if len(body["body"]) > COMMENT_BODY_LIMIT:
            return self._comment_too_long(error, "CommitComment")
        comment = self._new_commit_comment(repo.full_name, sha, body["body"], token.login, None)
        return Reply(201, comment, {"location": comment["url"]})

    def _op_repos_update_commit_comment(self, *, repo: Repo, params: dict[str, str], body: dict[str, Any],
                                        error: ErrorReply, **_: Any) -> Reply:
        comment = self._commit_comments.get(int(params["comment_id"]))
        if comment is None or comment["repo"] != repo.full_name:
            return error(404, "Not Found")
        if len(body["body"]) > COMMENT_BODY_LIMIT:
            return self._comment_too_long(error, "CommitComment")
        comment["body"], comment["updated_at"] = body["body"], self._now()
        return Reply(200, self._commit_comment_json(comment))

    def _op_repos_delete_commit_comment(self, *, repo: Repo, params: dict[str, str], error: ErrorReply,
                                        **_: Any) -> Reply:
        comment = self._commit_comments.get(int(params["comment_id"]))
        if comment is None or comment["repo"] != repo.full_name:
            return error(404, "Not Found")
        del self._commit_comments[comment["id"]]
        return Reply(204)

    def _op_checks_create(self, *, repo: Repo, body: dict[str, Any], error: ErrorReply, **_: Any) -> Reply:
        if body["head_sha"] not in repo.commits:
            return error(422, f"No commit found for SHA: {body['head_sha']}")
        too_big = self._check_output_too_big(body.get("output"), error)
        if too_big:
            return too_big
        now = self._now()
        run = {"id": next(self._ids["check_run"]), "repo": repo.full_name, "head_sha": body["head_sha"],
               "name": body["name"], "status": body.get("status", "queued"), "conclusion": None,
               "started_at": body.get("started_at", now), "completed_at": None,
               "details_url": body.get("details_url"), "external_id": body.get("external_id", ""),
               "check_suite": next(self._ids["check_suite"]),
               "output": {"title": None, "summary": None, "text": None}, "annotations": []}
        self._apply_check_update(run, body)
        self._check_runs[run["id"]] = run
        return Reply(201, self._check_run_json(run))

    def _op_checks_update(self, *, repo: Repo, params: dict[str, str], body: dict[str, Any], error: ErrorReply,
                          **_: Any) -> Reply:
        run = self._check_runs.get(int(params["check_run_id"]))
        if run is None or run["repo"] != repo.full_name:
            return error(404, "Not Found")
        too_big = self._check_output_too_big(body.get("output"), error)
        if too_big:
            return too_big
        self._apply_check_update(run, body)
        return Reply(200, self._check_run_json(run))

    def _op_checks_get(self, *, repo: Repo, params: dict[str, str], error: ErrorReply, **_: Any) -> Reply:
        run = self._check_runs.get(int(params["check_run_id"]))
        if run is None or run["repo"] != repo.full_name:
            return error(404, "Not Found")
        return Reply(200, self._check_run_json(run))

    def _op_checks_list_for_ref(self, *, repo: Repo, params: dict[str, str], query: dict[str, str], error: ErrorReply,
                                **_: Any) -> Reply:
        ref = params["ref"]
        if ref not in repo.commits:
            return error(422, f"No commit found for SHA: {ref}")
        runs = sorted((r for r in self._check_runs.values() if r["repo"] == repo.full_name and r["head_sha"] == ref),
                      key=lambda r: -r["id"])  # the most recent first
        if "check_name" in query:
            runs = [r for r in runs if r["name"] == query["check_name"]]
        if "status" in query:
            runs = [r for r in runs if r["status"] == query["status"]]
        if query.get("filter", "latest") == "latest":
            # The most recent run of each name; GitHub's docs: "filters check runs by their completed_at
            # timestamp". A run not yet completed counts as the most recent; equal times, the newer id.
            runs.sort(key=lambda r: (r["completed_at"] is None, r["completed_at"] or "", r["id"]), reverse=True)
            seen: set[str] = set()
            runs = [r for r in runs if not (r["name"] in seen or seen.add(r["name"]))]  # type: ignore[func-returns-value]
        items = [self._check_run_json(r) for r in runs]
        return self._page(repo, f"commits/{urllib.parse.quote(ref, safe='')}/check-runs", query, items,
                          wrap=lambda page: {"total_count": len(items), "check_runs": page})

    def _op_repos_create_commit_status(self, *, repo: Repo, params: dict[str, str], body: dict[str, Any],
                                       token: Token, error: ErrorReply, **_: Any) -> Reply:
        sha = params["sha"]
        if sha not in repo.commits:
            return error(422, f"No commit found for SHA: {sha}")
        now = self._now()
        status = {"id": next(self._ids["status"]), "repo": repo.full_name, "sha": sha, "state": body["state"],
                  "target_url": body.get("target_url"), "description": body.get("description"),
                  "context": body.get("context") or "default", "created_at": now, "updated_at": now,
                  "creator": token.login}
        self._statuses.append(status)
        return Reply(201, self._status_json(status), {"location": self._status_json(status)["url"]})

    def _op_repos_list_commit_statuses_for_ref(self, *, repo: Repo, params: dict[str, str],
                                               query: dict[str, str], **_: Any) -> Reply:
        ref = params["ref"]
        statuses = [self._status_json(s) for s in reversed(self._statuses)  # the newest first
                    if s["repo"] == repo.full_name and s["sha"] == ref]
        return self._page(repo, f"commits/{urllib.parse.quote(ref, safe='')}/statuses", query, statuses)

    def _op_repos_get_commit(self, *, repo: Repo, params: dict[str, str], error: ErrorReply, **_: Any) -> Reply:
        """``ref``: a commit's SHA, a branch or tag name, or ``heads/<branch>`` / ``tags/<tag>``. GitHub answers an
        unknown one with 422 "No commit found for SHA: <ref>", a branch name included."""
        ref = params["ref"]
        sha = self._resolve_commit(repo, ref)
        if sha is None:
            return error(422, f"No commit found for SHA: {ref}")
        return Reply(200, self._commit_json(repo, sha))

    def _op_rate_limit_get(self, **_: Any) -> Reply:
        def bucket(limit: int, used: int) -> dict[str, int]:
            return {"limit": limit, "used": used, "remaining": max(limit - used, 0), "reset": self.rate_reset}

        core = bucket(self.rate_limit, self.rate_used)
        resources = {"core": core, "search": bucket(30, 0), "graphql": bucket(5000, 0),
                     "integration_manifest": bucket(5000, 0), "code_search": bucket(10, 0)}
        return Reply(200, {"resources": resources, "rate": core},
                     {"x-ratelimit-limit": str(self.rate_limit)})

    def _op_git_create_tag(self, *, repo: Repo, body: dict[str, Any], token: Token, error: ErrorReply,
                           **_: Any) -> Reply:
        """A tag object only: the refs/tags/ ref that makes it a tag is a second call (git/create-ref)."""
        if self._object_type(repo, body["object"]) != body["type"]:
            return error(422, "Object does not exist")
        tagger = body.get("tagger") or {"name": token.login,  # the token's user, as GitHub does
                                         "email": f"{self._user_json(token.login)['id']}+{token.login}"
                                                  "@users.noreply.github.com"}
        tag = self._new_tag_object(repo, body["tag"], body["message"], body["object"], body["type"], tagger)
        shown = self._git_tag_json(repo, tag)
        return Reply(201, shown, {"location": shown["url"]})

    def _op_git_get_tag(self, *, repo: Repo, params: dict[str, str], error: ErrorReply, **_: Any) -> Reply:
        tag = repo.tag_objects.get(params["tag_sha"])
        return Reply(200, self._git_tag_json(repo, tag)) if tag else error(404, "Not Found")

    def _op_git_create_ref(self, *, repo: Repo, body: dict[str, Any], error: ErrorReply, **_: Any) -> Reply:
        name, sha = body["ref"], body["sha"]
        if not _valid_ref_name(name):  # "If it doesn't start with 'refs' and have at least two slashes, ..."
            return error(422, "Reference update failed")
        if name in repo.refs:
            return error(422, "Reference already exists")
        refused = self._protected(repo, name, error, "Reference update failed")
        if refused:
            return refused
        if self._object_type(repo, sha) is None:
            return error(422, "Object does not exist")
        repo.refs[name] = sha
        shown = self._git_ref_json(repo, name)
        return Reply(201, shown, {"location": shown["url"]})

    def _op_git_get_ref(self, *, repo: Repo, params: dict[str, str], error: ErrorReply, **_: Any) -> Reply:
        """``ref`` as "tags/v1" or "heads/main": the exact ref, or 404."""
        name = f"refs/{params['ref']}"
        return Reply(200, self._git_ref_json(repo, name)) if name in repo.refs else error(404, "Not Found")

    def _op_git_list_matching_refs(self, *, repo: Repo, params: dict[str, str], **_: Any) -> Reply:
        """Every ref whose name starts with refs/<ref>, by name; [] when none. The description declares no
        per_page or page here: one answer holds them all."""
        prefix = f"refs/{params['ref']}"
        return Reply(200, [self._git_ref_json(repo, name) for name in sorted(repo.refs) if name.startswith(prefix)])

    # --- Git data: blobs, trees, commits, a branch moved on ------------------------------------------------------

    def _op_git_create_blob(self, *, repo: Repo, body: dict[str, Any], error: ErrorReply, **_: Any) -> Reply:
        """A blob of ``content`` in ``encoding`` ("utf-8", the default, or "base64"), under git's SHA."""
        encoding = body.get("encoding", "utf-8")
        if encoding == "base64":
            try:
                data = base64.b64decode(body["content"], validate=False)
            except ValueError:
                return error(422, "Invalid request.\n\ncontent is not valid Base64.")
        elif encoding in ("utf-8", "utf8"):
            data = body["content"].encode("utf-8")
        else:
            return error(422, f"encoding must be 'utf-8' or 'base64', not {encoding!r}")
        sha = self._store_blob(repo, data)
        url = f"{self.url}/repos/{repo.full_name}/git/blobs/{sha}"
        return Reply(201, {"url": url, "sha": sha}, {"location": url})

    def _op_git_create_tree(self, *, repo: Repo, body: dict[str, Any], error: ErrorReply, **_: Any) -> Reply:
        """A tree of ``tree``'s entries (nested paths make the folders), on ``base_tree`` when given: an entry
        replaces what the base has at its path, ``sha: null`` deletes a file (422 when there is none, or when
        the path is a folder: see "Git data" in the module's doc), a folder left empty goes."""
        base = body.get("base_tree")
        if base is not None and base not in repo.trees:
            return error(422, "GitRPC::BadObjectState")
        root = self._expand(repo, base)
        for item in body["tree"]:
            refused = self._apply_tree_item(repo, root, item, error)
            if refused:
                return refused
        sha = self._store_tree(repo, root)
        shown = self._tree_json(repo, sha, recursive=False)
        return Reply(201, shown, {"location": shown["url"]})

    def _apply_tree_item(self, repo: Repo, root: dict[str, Any], item: dict[str, Any],
                         error: ErrorReply) -> Reply | None:
        path, mode, kind = item.get("path", ""), item.get("mode"), item.get("type")
        parts = path.split("/")
        if not path or any(part in ("", ".", "..", ".git") for part in parts) or "\0" in path:
            return error(422, "tree.path contains a malformed path component")
        if mode is None or kind is None or {"040000": "tree", "160000": "commit"}.get(mode, "blob") != kind:
            return error(422, "GitRPC::BadObjectState")
        has_sha, sha, content = "sha" in item, item.get("sha"), item.get("content")
        if (has_sha and content is not None) or (not has_sha and content is None):
            return error(422, "Must supply either tree.sha or tree.content. Request will be rejected if both "
                              "are present.")
        node: dict[str, Any] = root
        trail: list[tuple[dict[str, Any], str]] = []
        for part in parts[:-1]:
            child = node.get(part)
            if isinstance(child, TreeEntry) and child.kind != "tree":
                return error(422, "GitRPC::BadObjectState")  # a file where the path needs a folder
            if child is None and has_sha and sha is None:
                return error(422, "GitRPC::BadObjectState")  # deleting a file that does not exist
            expanded = self._expand(repo, child.sha) if isinstance(child, TreeEntry) else (child or {})
            node[part] = expanded
            trail.append((node, part))
            node = expanded
        name = parts[-1]
        if has_sha and sha is None:  # a deletion
            there = node.get(name)
            if there is None or kind == "tree" or isinstance(there, dict) or there.kind == "tree":
                return error(422, "GitRPC::BadObjectState")
            del node[name]
            for parent, part in reversed(trail):  # folders left empty go, as in git
                if parent[part]:
                    break
                del parent[part]
            return None
        if content is not None:
            if kind != "blob":
                return error(422, "GitRPC::BadObjectState")
            sha = self._store_blob(repo, content.encode("utf-8"))
        elif self._object_type(repo, sha) != kind and kind != "commit":  # a submodule's commit is elsewhere
            return error(422, f"tree.sha {sha} is not a valid {kind}")
        node[name] = TreeEntry("40000" if mode == "040000" else mode, name, sha)
        return None

    def _op_git_get_tree(self, *, repo: Repo, params: dict[str, str], query: dict[str, str], error: ErrorReply,
                         **_: Any) -> Reply:
        """A tree by its SHA, or the tree of a commit, branch or tag; with ``recursive`` (any value) every entry
        below it, folders before their contents, cut at ``tree_entry_limit`` with ``truncated: true``."""
        wanted = params["tree_sha"]
        sha: str | None = wanted if wanted in repo.trees else None
        if sha is None:
            commit = self._resolve_commit(repo, wanted)
            sha = repo.git_commits[commit].tree if commit in repo.git_commits else None
        if sha is None:
            return error(404, "Not Found")
        return Reply(200, self._tree_json(repo, sha, recursive="recursive" in query))

    def _op_git_create_commit(self, *, repo: Repo, body: dict[str, Any], token: Token, error: ErrorReply,
                              **_: Any) -> Reply:
        """A commit object; the author by default the token's user, now; the committer by default the author."""
        if body["tree"] not in repo.trees:
            return error(422, "Tree SHA does not exist")
        parents = tuple(body.get("parents") or ())
        if any(self._object_type(repo, parent) != "commit" for parent in parents):
            return error(422, "Parent SHA does not exist or is not a commit object")
        user = self._user_json(token.login)
        default = {"name": token.login, "email": f"{user['id']}+{token.login}@users.noreply.github.com"}
        author = self._person(body.get("author") or default)
        committer = self._person(body["committer"]) if body.get("committer") else author
        commit = self._store_commit(repo, body["tree"], parents, author, committer, body["message"], token.login)
        shown = self._git_commit_json(repo, commit)
        return Reply(201, shown, {"location": shown["url"]})

    def _op_git_get_commit(self, *, repo: Repo, params: dict[str, str], error: ErrorReply, **_: Any) -> Reply:
        commit = repo.git_commits.get(params["commit_sha"])
        return Reply(200, self._git_commit_json(repo, commit)) if commit else error(404, "Not Found")

    def _op_git_update_ref(self, *, repo: Repo, params: dict[str, str], body: dict[str, Any], error: ErrorReply,
                           **_: Any) -> Reply:
        """``ref`` ("heads/main") moved to ``sha``: 422 "Update is not a fast forward" unless ``force`` or the new
        commit descends from the old one; a protected branch refuses (``protect_branch``)."""
        name, sha = f"refs/{params['ref']}", body["sha"]
        if name not in repo.refs:
            return error(422, "Reference does not exist")
        refused = self._protected(repo, name, error, "Changes must be made through a pull request.")
        if refused:
            return refused
        if self._object_type(repo, sha) is None:
            return error(422, "Object does not exist")
        old = repo.refs[name]
        if not body.get("force", False) and not self._descends(repo, sha, old):
            return error(422, "Update is not a fast forward")
        repo.refs[name] = sha
        self._follow_branch(repo, name, sha)
        return Reply(200, self._git_ref_json(repo, name))

    def _op_pulls_list(self, *, repo: Repo, query: dict[str, str], **_: Any) -> Reply:
        """The pull requests of ``state`` (open by default), ``head`` ("owner:branch") and ``base``, the newest
        first (GitHub's default sort, by creation, descending; ``direction=asc`` reverses it), paginated."""
        state = query.get("state", "open")
        pulls = [p for p in self._pulls.values() if p.repo == repo.full_name and state in ("all", p.state)]
        if "head" in query:
            pulls = [p for p in pulls if f"{self._repos[p.head_repo].owner}:{p.head_ref}" == query["head"]]
        if "base" in query:
            pulls = [p for p in pulls if p.base_ref == query["base"]]
        pulls.sort(key=lambda p: (p.created_at, p.number), reverse=query.get("direction", "desc") == "desc")
        return self._page(repo, "pulls", query, [self._pull_simple_json(p) for p in pulls])

    def _op_pulls_create(self, *, repo: Repo, body: dict[str, Any], token: Token, error: ErrorReply,
                         **_: Any) -> Reply:
        """A pull request from ``head`` (a branch of this repository, or "owner:branch") to ``base``, by the
        token's user: 422 as GitHub answers when a branch does not exist, when both name the same commit ("No
        commits between ..."), and when an open pull request already has that head and base."""
        head = str(body["head"])
        owner, _, branch = head.rpartition(":")
        base = str(body["base"])

        def invalid(field_name: str, code: str = "invalid", message: str | None = None) -> Reply:
            problem = {"resource": "PullRequest", "code": code, "field": field_name}
            reply: Reply = error(422, "Validation Failed",
                                 errors=[{**problem, "message": message} if message else problem])
            return reply

        if owner not in ("", repo.owner):
            return invalid("head")  # a fork's head: not served
        head_sha, base_sha = repo.refs.get(f"refs/heads/{branch}"), self._resolve_commit(repo, base)
        if head_sha is None:
            return invalid("head")
        if base_sha is None or f"refs/heads/{base}" not in repo.refs and base != repo.default_branch:
            return invalid("base")
        if any(p.repo == repo.full_name and p.state == "open" and p.head_ref == branch and p.base_ref == base
               for p in self._pulls.values()):
            return invalid("head", "custom", f"A pull request already exists for {repo.owner}:{branch}.")
        if head_sha == base_sha:
            return invalid("head", "custom", f"No commits between {base} and {branch}")
        number = self._next_number(repo)
        repo.commits |= {base_sha, head_sha}
        pull = Pull(next(self._ids["pull"]), repo.full_name, number, head_sha, base_sha, branch, base, repo.full_name,
                    token.login, str(body.get("title") or branch), "open", self._now(), [head_sha],
                    body=body.get("body"))
        self._pulls[(repo.full_name, number)] = pull
        shown = self._pull_json(pull)
        return Reply(201, shown, {"location": shown["url"]})

    def _op_pulls_update(self, *, repo: Repo, params: dict[str, str], body: dict[str, Any], error: ErrorReply,
                         **_: Any) -> Reply:
        """Title, body and state (open, closed) of a pull request."""
        pull = self._pulls.get((repo.full_name, int(params["pull_number"])))
        if pull is None:
            return error(404, "Not Found")
        if len(body.get("body") or "") > COMMENT_BODY_LIMIT:
            return self._comment_too_long(error, "PullRequest")
        if body.get("title") is not None:
            pull.title = str(body["title"])
        if "body" in body:
            pull.body = body["body"]
        if body.get("state") in ("open", "closed"):
            pull.state = str(body["state"])
        return Reply(200, self._pull_json(pull))

    def pulls(self, repo: str) -> list[dict[str, Any]]:
        """The pull requests of ``repo``, every state, by number, as the API shows them."""
        with self._lock:
            return [self._pull_json(p) for key, p in sorted(self._pulls.items()) if key[0] == repo]

    def _follow_branch(self, repo: Repo, ref: str, sha: str) -> None:
        """The open pull requests from branch ``ref`` (this repository's) move to its new head, as on a push."""
        for pull in self._pulls.values():
            if (pull.head_repo == repo.full_name and pull.state == "open"
                    and f"refs/heads/{pull.head_ref}" == ref):
                pull.head_sha = sha
                pull.commits = [sha]
                repo.commits.add(sha)

    def _op_actions_create_workflow_dispatch(self, *, repo: Repo, params: dict[str, str], body: dict[str, Any],
                                             error: ErrorReply, **_: Any) -> Reply:
        """A workflow_dispatch event: recorded (``dispatches``); 204 as GitHub answers without run details.
        A workflow is known by its file name or its id; this fake knows every ``*.yml`` name."""
        workflow = params["workflow_id"]
        if not (workflow.isdigit() or workflow.endswith((".yml", ".yaml"))):
            return error(404, "Not Found")
        ref = body["ref"]
        if ref not in (repo.default_branch, *(r.removeprefix("refs/heads/") for r in repo.refs)):
            return error(422, f"No ref found for: {ref}")
        self._dispatches.append({"repo": repo.full_name, "workflow": workflow, "ref": ref,
                                 "inputs": dict(body.get("inputs") or {})})
        return Reply(204)

    def dispatches(self, repo: str) -> list[dict[str, Any]]:
        """The workflow_dispatch events started on ``repo``, in order: workflow, ref, inputs."""
        with self._lock:
            return [dict(d) for d in self._dispatches if d["repo"] == repo]

    def _op_repos_list_tags(self, *, repo: Repo, query: dict[str, str], **_: Any) -> Reply:
        """The repository's tags, each with the commit it names (an annotated tag peeled), newest name
        first as GitHub sorts them (by name, descending), paginated."""
        api = f"{self.url}/repos/{repo.full_name}"
        items = []
        for ref, sha in sorted(repo.refs.items(), reverse=True):
            if not ref.startswith("refs/tags/"):
                continue
            name = ref.removeprefix("refs/tags/")
            commit = repo.tag_objects[sha]["object"]["sha"] if sha in repo.tag_objects else sha
            items.append({"name": name, "commit": {"sha": commit, "url": f"{api}/commits/{commit}"},
                          "zipball_url": f"{api}/zipball/refs/tags/{urllib.parse.quote(name, safe='')}",
                          "tarball_url": f"{api}/tarball/refs/tags/{urllib.parse.quote(name, safe='')}",
                          "node_id": _node_id("REF", zlib.crc32(ref.encode()))})
        return self._page(repo, "tags", query, items)

    def _op_git_delete_ref(self, *, repo: Repo, params: dict[str, str], error: ErrorReply, **_: Any) -> Reply:
        name = f"refs/{params['ref']}"
        if name not in repo.refs:
            return error(422, "Reference does not exist")
        refused = self._protected(repo, name, error, "Cannot delete this protected branch")
        if refused:
            return refused
        del repo.refs[name]
        return Reply(204)

    def _op_repos_create_release(self, *, repo: Repo, body: dict[str, Any], token: Token, error: ErrorReply,
                                 **_: Any) -> Reply:
        now = self._now()
        release = {"id": next(self._ids["release"]), "repo": repo.full_name, "tag_name": body["tag_name"],
                   "target_commitish": body.get("target_commitish") or repo.default_branch,
                   "name": body.get("name"), "body": body.get("body"), "draft": body.get("draft", False),
                   "prerelease": body.get("prerelease", False), "make_latest": body.get("make_latest", "true"),
                   "author": token.login, "created_at": now, "updated_at": now, "published_at": None, "assets": []}
        refused = self._tag_release(repo, release, error)
        if refused:
            return refused
        if not release["draft"]:
            release["published_at"] = now
        self._releases[release["id"]] = release
        shown = self._release_json(release)
        return Reply(201, shown, {"location": shown["url"]})

    def _op_repos_list_releases(self, *, repo: Repo, query: dict[str, str], token: Token, **_: Any) -> Reply:
        """The newest first; drafts only for a token that can push."""
        releases = [r for r in sorted(self._releases.values(), key=lambda r: -r["id"])
                    if r["repo"] == repo.full_name and not (r["draft"] and token.read_only)]
        return self._page(repo, "releases", query, [self._release_json(r) for r in releases])

    def _op_repos_get_release_by_tag(self, *, repo: Repo, params: dict[str, str], error: ErrorReply,
                                     **_: Any) -> Reply:
        """The published release of a tag (never a draft), or 404."""
        release = next((r for r in self._releases.values() if r["repo"] == repo.full_name
                        and r["tag_name"] == params["tag"] and not r["draft"]), None)
        return Reply(200, self._release_json(release)) if release else error(404, "Not Found")

    def _op_repos_get_release(self, *, repo: Repo, params: dict[str, str], token: Token, error: ErrorReply,
                              **_: Any) -> Reply:
        release = self._find_release(repo, params, token)
        return Reply(200, self._release_json(release)) if release else error(404, "Not Found")

    def _op_repos_update_release(self, *, repo: Repo, params: dict[str, str], body: dict[str, Any] | None,
                                 token: Token, error: ErrorReply, **_: Any) -> Reply:
        """Fields given replace; publishing a draft (draft: false) makes its tag if missing, stamps published_at."""
        release = self._find_release(repo, params, token)
        if release is None:
            return error(404, "Not Found")
        fields = ("tag_name", "target_commitish", "name", "body", "draft", "prerelease", "make_latest")
        updated = {**release, **{k: v for k, v in (body or {}).items() if k in fields}}
        refused = self._tag_release(repo, updated, error)
        if refused:
            return refused
        now = self._now()
        if release["draft"] and not updated["draft"]:
            updated["published_at"] = now
        updated["updated_at"] = now
        release.update(updated)
        return Reply(200, self._release_json(release))

    def _op_repos_delete_release(self, *, repo: Repo, params: dict[str, str], token: Token, error: ErrorReply,
                                 **_: Any) -> Reply:
        """The release goes, its assets with it; its tag stays (as on GitHub: deleting a release does not
        delete the tag)."""
        release = self._find_release(repo, params, token)
        if release is None:
            return error(404, "Not Found")
        del self._releases[release["id"]]
        return Reply(204)

    def _op_repos_upload_release_asset(self, *, repo: Repo, params: dict[str, str], query: dict[str, str],
                                       body: bytes | None, headers: Any, token: Token, error: ErrorReply,
                                       **_: Any) -> Reply:
        """An asset of the release: the bytes as sent, the media type sent, the name as GitHub keeps it
        (``kept_asset_name``); 422 already_exists when the release has an asset of that name, finished or not."""
        release = self._find_release(repo, params, token)
        if release is None:
            return error(404, "Not Found")
        name = kept_asset_name(query["name"])
        if not name:
            return error(422, "Validation Failed", errors=[{"resource": "ReleaseAsset", "code": "invalid",
                                                            "field": "name"}])
        if any(asset["name"] == name for asset in release["assets"]):
            return error(422, "Validation Failed",
                         errors=[{"resource": "ReleaseAsset", "code": "already_exists", "field": "name"}])
        asset = self._new_asset(release, name, body or b"", headers.get("Content-Type", ""), token.login,
                                query.get("label"), "uploaded")
        return Reply(201, self._asset_json(release, asset))

    def _op_repos_list_release_assets(self, *, repo: Repo, params: dict[str, str], query: dict[str, str],
                                      token: Token, error: ErrorReply, **_: Any) -> Reply:
        release = self._find_release(repo, params, token)
        if release is None:
            return error(404, "Not Found")
        return self._page(repo, f"releases/{release['id']}/assets", query,
                          [self._asset_json(release, asset) for asset in release["assets"]])

    def _op_repos_delete_release_asset(self, *, repo: Repo, params: dict[str, str], error: ErrorReply,
                                       **_: Any) -> Reply:
        wanted = int(params["asset_id"])
        for release in self._releases.values():
            if release["repo"] == repo.full_name:
                kept = [asset for asset in release["assets"] if asset["id"] != wanted]
                if len(kept) != len(release["assets"]):
                    release["assets"] = kept
                    return Reply(204)
        return error(404, "Not Found")

    # --- Behaviour ---------------------------------------------------------------------------------------------

    def _page(self, repo: Repo, rest: str, query: dict[str, str], items: list[Any],
              wrap: Callable[[list[Any]], Any] | None = None) -> Reply:
        """One page of ``items`` and GitHub's link header (prev, next, last, first; repository id URLs)."""
        per_page = int(query.get("per_page", 30))
        per_page = 30 if per_page < 1 else min(per_page, MAX_PER_PAGE)
        page = max(int(query.get("page", 1)), 1)
        last = max((len(items) + per_page - 1) // per_page, 1)
        chunk = items[(page - 1) * per_page: page * per_page]
        kept = [(k, v) for k, v in query.items() if k != "page"]

        def link(number: int, rel: str) -> str:
            qs = urllib.parse.urlencode([*kept, ("page", str(number))])
            return f'<{self.url}/repositories/{repo.id}/{rest}?{qs}>; rel="{rel}"'

        links = []
        if page > 1:
            links.append(link(page - 1, "prev"))
        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        if page > 1:
            links.append(link(1, "first"))
        return Reply(200, wrap(chunk) if wrap else chunk, {"link": ", ".join(links)} if links else {})

    def _comment_too_long(self, error: ErrorReply, resource: str = "IssueComment") -> Reply:
        reply: Reply = error(422, "Validation Failed",
                             errors=[{"resource": resource, "code": "unprocessable", "field": "data",
                                      "message": f"Body is too long (maximum is {COMMENT_BODY_LIMIT} characters)"}])
        return reply

    def _check_output_too_big(self, output: dict[str, Any] | None, error: ErrorReply) -> Reply | None:
        """GitHub counts the 65,535 of summary and text in UTF-8 bytes, once the schema's characters pass."""
        for key in ("summary", "text"):
            value = (output or {}).get(key)
            if isinstance(value, str) and len(value.encode("utf-8")) > CHECK_TEXT_BYTES:
                reply: Reply = error(422, "Validation Failed", errors=[{
                    "resource": "CheckRun", "code": "custom", "field": key,
                    "message": f"{key} exceeds a maximum bytesize of {CHECK_TEXT_BYTES}"}])
                return reply
        return None

    def _apply_check_update(self, run: dict[str, Any], body: dict[str, Any]) -> None:
        """Fields given replace; output's title/summary/text replace; annotations are appended, as on GitHub."""
        for key in ("name", "details_url", "external_id", "started_at", "status"):
            if key in body:
                run[key] = body[key]
        if "conclusion" in body:  # "Providing conclusion will automatically set the status to completed."
            run["conclusion"] = body["conclusion"]
            run["status"] = "completed"
        if run["status"] == "completed" and run["completed_at"] is None:
            run["completed_at"] = body.get("completed_at", self._now())
        elif "completed_at" in body:
            run["completed_at"] = body["completed_at"]
        output = body.get("output")
        if output:
            for key in ("title", "summary", "text"):
                if key in output:
                    run["output"][key] = output[key]
            run["annotations"] += copy.deepcopy(output.get("annotations", []))

    def _object_type(self, repo: Repo, sha: str) -> str | None:
        """"commit", "tag", "tree" or "blob" for an object ``repo`` holds, else None. A commit made known with
        ``add_commit`` (or a pull request) has no tree here; the git data API's own objects are whole."""
        if sha in repo.commits or sha in repo.git_commits:
            return "commit"
        return "tag" if sha in repo.tag_objects else "tree" if sha in repo.trees else "blob" if sha in repo.blobs \
            else None

    def _resolve_commit(self, repo: Repo, ref: str) -> str | None:
        """The commit ``ref`` names: its SHA, a branch or tag (``heads/``/``tags/`` or bare), tags peeled."""
        if ref in repo.commits or ref in repo.git_commits:
            return ref
        for name in (f"refs/{ref}", f"refs/heads/{ref}", f"refs/tags/{ref}"):
            sha = repo.refs.get(name)
            if sha is not None:
                while sha in repo.tag_objects:
                    sha = repo.tag_objects[sha]["object"]["sha"]
                return sha
        return None

    def _descends(self, repo: Repo, sha: str, ancestor: str) -> bool:
        """Whether commit ``sha`` is ``ancestor`` or has it among its ancestors (git merge-base --is-ancestor)."""
        seen, pending = set(), [sha]
        while pending:
            current = pending.pop()
            if current == ancestor:
                return True
            if current in seen:
                continue
            seen.add(current)
            commit = repo.git_commits.get(current)
            pending.extend(commit.parents if commit else ())
        return False

    def _protected(self, repo: Repo, ref: str, error: ErrorReply, usual: str) -> Reply | None:
        protection = repo.protected.get(ref.removeprefix("refs/heads/")) if ref.startswith("refs/heads/") else None
        if protection is None:
            return None
        status, message = protection
        reply: Reply = error(status, message or usual)
        return reply

    def _store_blob(self, repo: Repo, data: bytes) -> str:
        sha = git_object_sha("blob", data)
        repo.blobs.setdefault(sha, data)
        return sha

    def _store_tree(self, repo: Repo, node: dict[str, Any]) -> str:
        """The tree of ``node`` (name -> TreeEntry, or a dict for a folder made or changed), and its folders',
        stored; its SHA."""
        entries = [TreeEntry("40000", name, self._store_tree(repo, child)) if isinstance(child, dict) else
                   child._replace(name=name) for name, child in node.items()]
        entries.sort(key=lambda e: e.name + "/" if e.kind == "tree" else e.name)  # git's order
        sha = git_object_sha("tree", git_tree_bytes(entries))
        repo.trees.setdefault(sha, entries)
        return sha

    def _store_commit(self, repo: Repo, tree: str, parents: tuple[str, ...], author: GitPerson,
                      committer: GitPerson, message: str, login: str) -> GitCommit:
        text = git_commit_text(tree, parents, author, committer, message)
        commit = GitCommit(git_object_sha("commit", text), tree, parents, author, committer, message, login)
        return repo.git_commits.setdefault(commit.sha, commit)

    def _person(self, fields: dict[str, str]) -> GitPerson:
        when = _parse_time(fields["date"]) if fields.get("date") else self.clock().astimezone(dt.timezone.utc)
        return GitPerson(fields["name"], fields["email"], when)

    def _expand(self, repo: Repo, tree: str | None) -> dict[str, Any]:
        """The entries of ``tree`` by name, to change (an empty folder for None)."""
        return {entry.name: entry for entry in repo.trees.get(tree, [])} if tree else {}

    def _walk(self, repo: Repo, tree: str, prefix: str = "") -> Iterator[tuple[str, TreeEntry]]:
        """Every entry below ``tree`` with its path, a folder before its contents (``git ls-tree -r -t``)."""
        for entry in repo.trees.get(tree, []):
            path = prefix + entry.name
            yield path, entry
            if entry.kind == "tree":
                yield from self._walk(repo, entry.sha, path + "/")

    def _entry_at(self, repo: Repo, tree: str, path: str) -> TreeEntry | None:
        entry: TreeEntry | None = None
        for part in path.split("/"):
            if entry is not None and entry.kind != "tree":
                return None
            entry = next((e for e in repo.trees.get(entry.sha if entry else tree, []) if e.name == part), None)
            if entry is None:
                return None
        return entry

    def _new_tag_object(self, repo: Repo, tag: str, message: str, object_sha: str, object_type: str,
                        tagger: dict[str, str]) -> dict[str, Any]:
        """The annotated tag object for these fields, with the SHA git gives it (stored once per SHA)."""
        when = _parse_time(tagger["date"]) if tagger.get("date") else self.clock().astimezone(dt.timezone.utc)
        text = git_tag_text(object_sha, object_type, tag, tagger["name"], tagger["email"], when, message)
        sha = git_object_sha("tag", text)
        record = {"sha": sha, "tag": tag, "message": message, "object": {"sha": object_sha, "type": object_type},
                  "tagger": {"name": tagger["name"], "email": tagger["email"],
                             "date": when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}}
        return repo.tag_objects.setdefault(sha, record)

    def _tag_release(self, repo: Repo, release: dict[str, Any], error: ErrorReply) -> Reply | None:
        """Check a new or updated release as GitHub does; a published one without its tag gets it, lightweight, on
        ``target_commitish`` (a known commit's SHA or a branch's name). None if fine, else GitHub's 422."""
        def invalid(code: str, field_name: str) -> Reply:
            reply: Reply = error(422, "Validation Failed",
                                 errors=[{"resource": "Release", "code": code, "field": field_name}])
            return reply

        ref = f"refs/tags/{release['tag_name']}"
        if not _valid_ref_name(ref):
            return invalid("invalid", "tag_name")
        if not release["draft"] and any(
                other["repo"] == repo.full_name and other["tag_name"] == release["tag_name"] and not other["draft"]
                and other["id"] != release["id"] for other in self._releases.values()):
            return invalid("already_exists", "tag_name")  # one published release per tag; drafts may share one
        if ref in repo.refs:
            return None  # "Unused if the Git tag already exists."
        commitish = release["target_commitish"]
        sha = commitish if commitish in repo.commits else repo.refs.get(f"refs/heads/{commitish}")
        if sha is None:
            return invalid("invalid", "target_commitish")
        if not release["draft"]:  # a draft's tag is made when it is published
            repo.refs[ref] = sha
        return None

    def _new_asset(self, release: dict[str, Any], name: str, content: bytes, content_type: str, uploader: str,
                   label: str | None, state: str) -> dict[str, Any]:
        now = self._now()
        asset = {"id": next(self._ids["asset"]), "name": name, "label": label, "content_type": content_type,
                 "content": content, "state": state, "uploader": uploader, "created_at": now, "updated_at": now}
        release["assets"].append(asset)
        return asset

    def _published_release(self, repo: str, tag: str) -> dict[str, Any]:
        found = next((r for r in self._releases.values() if r["repo"] == repo and r["tag_name"] == tag
                      and not r["draft"]), None)
        if found is None:
            raise KeyError(f"no published release of {tag} in {repo}")
        return found

    def _find_release(self, repo: Repo, params: dict[str, str], token: Token) -> dict[str, Any] | None:
        """The release ``release_id`` of ``repo``; a draft only for a token that can push."""
        release = self._releases.get(int(params["release_id"]))
        if release is None or release["repo"] != repo.full_name or (release["draft"] and token.read_only):
            return None
        return release

    def _repo(self, full_name: str) -> Repo:
        try:
            return self._repos[full_name]
        except KeyError:
            raise KeyError(f"no repository {full_name}: add_repo() first") from None

    def _has_issue(self, repo: str, number: int) -> bool:
        return (repo, number) in self._pulls or (repo, number) in self._issues

    def _issue(self, repo: str, number: int) -> Pull | dict[str, Any]:
        found = self._pulls.get((repo, number)) or self._issues.get((repo, number))
        if found is None:
            raise KeyError(f"no issue or pull request {repo}#{number}: add_pull() or add_issue() first")
        return found

    def _next_number(self, repo: Repo) -> int:
        used = [n for (name, n) in [*self._pulls, *self._issues] if name == repo.full_name]
        return max(used, default=0) + 1

    def _new_issue(self, repo: Repo, title: str, body: str | None, labels: list[str], user: str, bot: bool | None,
                   created_at: str | None = None) -> dict[str, Any]:
        now = created_at or self._now()
        issue: dict[str, Any] = {
            "id": next(self._ids["issue"]), "repo": repo.full_name, "number": self._next_number(repo),
            "title": title, "body": body, "labels": list(dict.fromkeys(labels)), "user": user,
            "bot": user.endswith("[bot]") if bot is None else bot, "state": "open", "state_reason": None,
            "closed_at": None, "closed_by": None, "created_at": now, "updated_at": now}
        self._issues[(repo.full_name, issue["number"])] = issue
        return issue

    def _set_state(self, issue: dict[str, Any], state: str, reason: str | None, login: str) -> None:
        """Close or reopen ``issue``; GitHub keeps ``state_reason`` only on a change of state."""
        if state == issue["state"]:
            return
        issue["state"] = state
        if state == "closed":
            issue["state_reason"] = reason or "completed"
            issue["closed_at"], issue["closed_by"] = self._now(), login
        else:
            issue["state_reason"] = "reopened"
            issue["closed_at"], issue["closed_by"] = None, None

    def _issue_comments(self, repo: str, number: int) -> list[dict[str, Any]]:
        return sorted((c for c in self._comments.values() if c["repo"] == repo and c["issue"] == number),
                      key=lambda c: c["id"])  # GitHub: ascending ID

    def _find_comment(self, repo: Repo, params: dict[str, str]) -> dict[str, Any] | None:
        comment = self._comments.get(int(params["comment_id"]))
        return comment if comment and comment["repo"] == repo.full_name else None

    def _new_comment(self, repo: str, number: int, body: str, user: str, created_at: str | None,
                     bot: bool | None = None) -> dict[str, Any]:
        now = created_at or self._now()
        comment: dict[str, Any] = {"id": next(self._ids["comment"]), "repo": repo, "issue": number, "body": body, "user": user,
                   "bot": user.endswith("[bot]") if bot is None else bot, "created_at": now, "updated_at": now}
        self._comments[comment["id"]] = comment
        return self._comment_json(comment)

    def _comments_on_commit(self, repo: str, sha: str) -> list[dict[str, Any]]:
        return sorted((c for c in self._commit_comments.values() if c["repo"] == repo and c["sha"] == sha),
                      key=lambda c: c["id"])

    def _new_commit_comment(self, repo: str, sha: str, body: str, user: str, bot: bool | None) -> dict[str, Any]:
        now = self._now()
        comment: dict[str, Any] = {"id": next(self._ids["commit_comment"]), "repo": repo, "sha": sha, "body": body,
                                   "user": user, "bot": user.endswith("[bot]") if bot is None else bot,
                                   "created_at": now, "updated_at": now}
        self._commit_comments[comment["id"]] = comment
        return self._commit_comment_json(comment)

    def _now(self) -> str:
        return self.clock().astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    # --- JSON as GitHub shows it ------------------------------------------------------------------------------

    def _user_json(self, login: str, kind: str | None = None) -> dict[str, Any]:
        known = KNOWN_USERS.get(login)
        user_id, usual = known if known else (zlib.crc32(login.encode()) % 90_000_000 + 1_000_000,
                                              "Bot" if login.endswith("[bot]") else "User")
        kind = kind or usual
        api = f"{self.url}/users/{urllib.parse.quote(login)}"
        html = (f"{self.server_url}/apps/{login.removesuffix('[bot]')}" if kind == "Bot"
                else f"{self.server_url}/{login}")
        avatar = (f"https://avatars.githubusercontent.com/in/15368?v=4" if login == BOT
                  else f"https://avatars.githubusercontent.com/u/{user_id}?v=4")
        return {
            "login": login, "id": user_id, "node_id": _node_id("BOT" if kind == "Bot" else "U", user_id),
            "avatar_url": avatar, "gravatar_id": "", "url": api, "html_url": html,
            "followers_url": f"{api}/followers", "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}", "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions", "organizations_url": f"{api}/orgs",
            "repos_url": f"{api}/repos", "events_url": f"{api}/events{{/privacy}}",
            "received_events_url": f"{api}/received_events", "type": kind, "user_view_type": "public",
            "site_admin": False,
        }

    def _actions_app_json(self) -> dict[str, Any]:
        return {
            "id": 15368, "slug": "github-actions", "client_id": "Iv1.05c79e9ad1f6bdfa",
            "node_id": "MDM6QXBwMTUzNjg=", "owner": self._user_json("github"), "name": "GitHub Actions",
            "description": "Automate your workflow from idea to production",
            "external_url": "https://help.github.com/en/actions", "html_url": f"{self.server_url}/apps/github-actions",
            "created_at": "2018-07-30T09:30:17Z", "updated_at": "2024-04-10T20:33:16Z",
            "permissions": {"actions": "write", "checks": "write", "contents": "write", "issues": "write",
                            "metadata": "read", "pull_requests": "write", "statuses": "write"},
            "events": ["check_run", "check_suite", "issue_comment", "pull_request", "push", "release", "status",
                       "workflow_dispatch", "workflow_run"],
        }

    def _repo_json(self, repo: Repo) -> dict[str, Any]:
        api = f"{self.url}/repos/{repo.full_name}"
        html = f"{self.server_url}/{repo.full_name}"
        host = urllib.parse.urlsplit(self.server_url).netloc
        return {
            "id": repo.id, "node_id": _node_id("R", repo.id), "name": repo.name, "full_name": repo.full_name,
            "owner": self._user_json(repo.owner) | {"type": repo.owner_type}, "private": repo.private,
            "html_url": html, "description": None, "fork": repo.fork, "url": api,
            "archive_url": f"{api}/{{archive_format}}{{/ref}}", "assignees_url": f"{api}/assignees{{/user}}",
            "blobs_url": f"{api}/git/blobs{{/sha}}", "branches_url": f"{api}/branches{{/branch}}",
            "collaborators_url": f"{api}/collaborators{{/collaborator}}", "comments_url": f"{api}/comments{{/number}}",
            "commits_url": f"{api}/commits{{/sha}}", "compare_url": f"{api}/compare/{{base}}...{{head}}",
            "contents_url": f"{api}/contents/{{+path}}", "contributors_url": f"{api}/contributors",
            "deployments_url": f"{api}/deployments", "downloads_url": f"{api}/downloads",
            "events_url": f"{api}/events", "forks_url": f"{api}/forks",
            "git_commits_url": f"{api}/git/commits{{/sha}}", "git_refs_url": f"{api}/git/refs{{/sha}}",
            "git_tags_url": f"{api}/git/tags{{/sha}}", "git_url": f"git://{host}/{repo.full_name}.git",
            "issue_comment_url": f"{api}/issues/comments{{/number}}",
            "issue_events_url": f"{api}/issues/events{{/number}}", "issues_url": f"{api}/issues{{/number}}",
            "keys_url": f"{api}/keys{{/key_id}}", "labels_url": f"{api}/labels{{/name}}",
            "languages_url": f"{api}/languages", "merges_url": f"{api}/merges",
            "milestones_url": f"{api}/milestones{{/number}}",
            "notifications_url": f"{api}/notifications{{?since,all,participating}}",
            "pulls_url": f"{api}/pulls{{/number}}", "releases_url": f"{api}/releases{{/id}}",
            "ssh_url": f"git@{host}:{repo.full_name}.git", "stargazers_url": f"{api}/stargazers",
            "statuses_url": f"{api}/statuses/{{sha}}", "subscribers_url": f"{api}/subscribers",
            "subscription_url": f"{api}/subscription", "tags_url": f"{api}/tags", "teams_url": f"{api}/teams",
            "trees_url": f"{api}/git/trees{{/sha}}", "clone_url": f"{html}.git", "mirror_url": None,
            "hooks_url": f"{api}/hooks", "svn_url": html, "homepage": None, "language": "Python",
            "forks_count": 0, "forks": 0, "stargazers_count": 0, "watchers_count": 0, "watchers": 0, "size": 120,
            "default_branch": repo.default_branch, "open_issues_count": 0, "open_issues": 0, "is_template": False,
            "topics": [], "has_issues": True, "has_projects": True, "has_wiki": True, "has_pages": False,
            "has_downloads": True, "archived": False, "disabled": False,
            "visibility": "private" if repo.private else "public", "license": None,
            "pushed_at": repo.created_at, "created_at": repo.created_at, "updated_at": repo.created_at,
            "allow_forking": True, "web_commit_signoff_required": False,
        }

    def _full_repo_json(self, repo: Repo) -> dict[str, Any]:
        return {**self._repo_json(repo), "has_discussions": False, "network_count": 0, "subscribers_count": 0,
                "temp_clone_token": "", "permissions": {"admin": False, "maintain": False, "push": True,
                                                        "triage": True, "pull": True}}

    def _pull_simple_json(self, pull: Pull) -> dict[str, Any]:
        api = f"{self.url}/repos/{pull.repo}"
        html = f"{self.server_url}/{pull.repo}/pull/{pull.number}"
        url = f"{api}/pulls/{pull.number}"
        base_repo, head_repo = self._repos[pull.repo], self._repos[pull.head_repo]
        return {
            "url": url, "id": pull.id, "node_id": _node_id("PR", pull.id), "html_url": html,
            "diff_url": f"{html}.diff", "patch_url": f"{html}.patch", "issue_url": f"{api}/issues/{pull.number}",
            "number": pull.number, "state": pull.state, "locked": False, "title": pull.title,
            "user": self._user_json(pull.author), "body": pull.body, "milestone": None,
            "labels": [{"id": 1000 + i, "node_id": _node_id("LA", 1000 + i), "name": name, "description": "",
                        "url": f"{api}/labels/{urllib.parse.quote(name)}", "color": "ededed", "default": False}
                       for i, name in enumerate(pull.labels)],
            "active_lock_reason": None, "created_at": pull.created_at, "updated_at": pull.merged_at or pull.created_at,
            "closed_at": pull.merged_at, "merged_at": pull.merged_at,
            "merge_commit_sha": pull.merge_commit or hashlib.sha1(f"{pull.head_sha}{pull.base_sha}".encode()).hexdigest(),
            "assignee": None, "assignees": [], "requested_reviewers": [], "requested_teams": [],
            "commits_url": f"{url}/commits", "review_comments_url": f"{url}/comments",
            "review_comment_url": f"{api}/pulls/comments{{/number}}",
            "comments_url": f"{api}/issues/{pull.number}/comments", "statuses_url": f"{api}/statuses/{pull.head_sha}",
            "head": {"label": f"{head_repo.owner}:{pull.head_ref}", "ref": pull.head_ref, "sha": pull.head_sha,
                     "user": self._user_json(head_repo.owner), "repo": self._repo_json(head_repo)},
            "base": {"label": f"{base_repo.owner}:{pull.base_ref}", "ref": pull.base_ref, "sha": pull.base_sha,
                     "user": self._user_json(base_repo.owner) | {"type": base_repo.owner_type},
                     "repo": self._repo_json(base_repo)},
            "_links": {name: {"href": href} for name, href in (
                ("self", url), ("html", html), ("issue", f"{api}/issues/{pull.number}"),
                ("comments", f"{api}/issues/{pull.number}/comments"), ("review_comments", f"{url}/comments"),
                ("review_comment", f"{api}/pulls/comments{{/number}}"), ("commits", f"{url}/commits"),
                ("statuses", f"{api}/statuses/{pull.head_sha}"))},
            "author_association": "CONTRIBUTOR" if pull.head_repo != pull.repo else "MEMBER",
            "auto_merge": None, "draft": False,
        }

    def _pull_json(self, pull: Pull) -> dict[str, Any]:
        return {**self._pull_simple_json(pull), "merged": pull.merged_at is not None, "mergeable": True, "rebaseable": True,
                "mergeable_state": "clean", "merged_by": None,
                "comments": len(self._issue_comments(pull.repo, pull.number)), "review_comments": 0,
                "maintainer_can_modify": pull.head_repo != pull.repo, "commits": 1, "additions": 10,
                "deletions": 2, "changed_files": 1}

    def _label_json(self, repo: str, name: str) -> dict[str, Any]:
        label_id = 8_800_000_001 + zlib.crc32(f"{repo}:{name}".encode()) % 100_000_000
        api = f"{self.url}/repos/{repo}"
        return {"id": label_id, "node_id": _node_id("LA", label_id), "url": f"{api}/labels/{urllib.parse.quote(name)}",
                "name": name, "description": None, "color": "ededed", "default": False}

    def _issue_json(self, issue: dict[str, Any]) -> dict[str, Any]:
        repo, number = issue["repo"], issue["number"]
        api = f"{self.url}/repos/{repo}"
        url = f"{api}/issues/{number}"
        return {
            "id": issue["id"], "node_id": _node_id("I", issue["id"]), "url": url, "repository_url": api,
            "labels_url": f"{url}/labels{{/name}}", "comments_url": f"{url}/comments", "events_url": f"{url}/events",
            "html_url": f"{self.server_url}/{repo}/issues/{number}", "number": number, "state": issue["state"],
            "state_reason": issue["state_reason"], "title": issue["title"], "body": issue["body"],
            "user": self._user_json(issue["user"], "Bot" if issue["bot"] else None),
            "labels": [self._label_json(repo, name) for name in issue["labels"]],
            "assignee": None, "assignees": [], "milestone": None, "locked": False, "active_lock_reason": None,
            "comments": len(self._issue_comments(repo, number)), "closed_at": issue["closed_at"],
            "created_at": issue["created_at"], "updated_at": issue["updated_at"],
            "closed_by": self._user_json(issue["closed_by"]) if issue["closed_by"] else None,
            "timeline_url": f"{url}/timeline", "author_association": "NONE" if issue["bot"] else "MEMBER",
            "performed_via_github_app": self._actions_app_json() if issue["user"] == BOT else None,
            "reactions": {"url": f"{url}/reactions", "total_count": 0, "+1": 0, "-1": 0, "laugh": 0, "hooray": 0,
                          "confused": 0, "heart": 0, "rocket": 0, "eyes": 0},
        }

    def _pull_as_issue_json(self, pull: Pull) -> dict[str, Any]:
        """A pull request as the issues API shows it: an issue with ``pull_request``."""
        shown = self._issue_json({
            "id": pull.id, "repo": pull.repo, "number": pull.number, "title": pull.title, "body": pull.body,
            "labels": pull.labels, "user": pull.author, "bot": pull.author.endswith("[bot]"), "state": pull.state,
            "state_reason": "completed" if pull.state == "closed" else None, "closed_at": pull.merged_at,
            "closed_by": None, "created_at": pull.created_at, "updated_at": pull.merged_at or pull.created_at})
        html = f"{self.server_url}/{pull.repo}/pull/{pull.number}"
        shown["html_url"] = html
        shown["pull_request"] = {"url": f"{self.url}/repos/{pull.repo}/pulls/{pull.number}", "html_url": html,
                                 "diff_url": f"{html}.diff", "patch_url": f"{html}.patch", "merged_at": pull.merged_at}
        return shown

    def _comment_json(self, comment: dict[str, Any]) -> dict[str, Any]:
        api = f"{self.url}/repos/{comment['repo']}"
        kind = "pull" if (comment["repo"], comment["issue"]) in self._pulls else "issues"
        return {
            "url": f"{api}/issues/comments/{comment['id']}",
            "html_url": f"{self.server_url}/{comment['repo']}/{kind}/{comment['issue']}#issuecomment-{comment['id']}",
            "issue_url": f"{api}/issues/{comment['issue']}", "id": comment["id"],
            "node_id": _node_id("IC", comment["id"]),
            "user": self._user_json(comment["user"], "Bot" if comment["bot"] else None),
            "created_at": comment["created_at"], "updated_at": comment["updated_at"],
            "author_association": "NONE" if comment["bot"] else "CONTRIBUTOR",
            "body": comment["body"],
            "reactions": {"url": f"{api}/issues/comments/{comment['id']}/reactions", "total_count": 0, "+1": 0,
                          "-1": 0, "laugh": 0, "hooray": 0, "confused": 0, "heart": 0, "rocket": 0, "eyes": 0},
            "performed_via_github_app": self._actions_app_json() if comment["user"] == BOT else None,
        }

    def _commit_comment_json(self, comment: dict[str, Any]) -> dict[str, Any]:
        api = f"{self.url}/repos/{comment['repo']}"
        return {
            "url": f"{api}/comments/{comment['id']}",
            "html_url": f"{self.server_url}/{comment['repo']}/commit/{comment['sha']}#commitcomment-{comment['id']}",
            "id": comment["id"], "node_id": _node_id("CC", comment["id"]), "body": comment["body"],
            "path": None, "position": None, "line": None, "commit_id": comment["sha"],
            "user": self._user_json(comment["user"], "Bot" if comment["bot"] else None),
            "created_at": comment["created_at"], "updated_at": comment["updated_at"],
            "author_association": "NONE" if comment["bot"] else "CONTRIBUTOR",
            "reactions": {"url": f"{api}/comments/{comment['id']}/reactions", "total_count": 0, "+1": 0,
                          "-1": 0, "laugh": 0, "hooray": 0, "confused": 0, "heart": 0, "rocket": 0, "eyes": 0},
        }

    def _check_run_json(self, run: dict[str, Any]) -> dict[str, Any]:
        api = f"{self.url}/repos/{run['repo']}"
        html = f"{self.server_url}/{run['repo']}/runs/{run['id']}"
        pulls = [p for p in self._pulls.values()  # GitHub leaves out pull requests from forks
                 if p.repo == run["repo"] and p.head_repo == p.repo and p.head_sha == run["head_sha"]
                 and p.state == "open"]
        repo = self._repos[run["repo"]]
        mini_repo = {"id": repo.id, "url": f"{api}", "name": repo.name}
        return {
            "id": run["id"], "name": run["name"], "node_id": _node_id("CR", run["id"]),
            "head_sha": run["head_sha"], "external_id": run["external_id"], "url": f"{api}/check-runs/{run['id']}",
            "html_url": html, "details_url": run["details_url"] or html, "status": run["status"],
            "conclusion": run["conclusion"], "started_at": run["started_at"], "completed_at": run["completed_at"],
            "output": {**run["output"], "annotations_count": len(run["annotations"]),
                       "annotations_url": f"{api}/check-runs/{run['id']}/annotations"},
            "check_suite": {"id": run["check_suite"]}, "app": self._actions_app_json(),
            "pull_requests": [{"url": f"{api}/pulls/{p.number}", "id": p.id, "number": p.number,
                               "head": {"ref": p.head_ref, "sha": p.head_sha, "repo": mini_repo},
                               "base": {"ref": p.base_ref, "sha": p.base_sha, "repo": mini_repo}} for p in pulls],
        }

    def _commit_json(self, repo: Repo, sha: str) -> dict[str, Any]:
        """A commit as the commits API shows it: the git data API's own with its tree, parents and people; one made
        known with ``add_commit`` with a made-up tree SHA (the fake holds no files of it) and no parents."""
        api = f"{self.url}/repos/{repo.full_name}"
        made = repo.git_commits.get(sha)
        if made is not None:
            shown = self._git_commit_json(repo, made)
            user = self._user_json(made.login)
            return {
                "url": f"{api}/commits/{sha}", "sha": sha, "node_id": shown["node_id"], "html_url": shown["html_url"],
                "comments_url": f"{api}/commits/{sha}/comments",
                "commit": {"url": shown["url"], "author": shown["author"], "committer": shown["committer"],
                           "message": made.message, "comment_count": 0, "tree": shown["tree"],
                           "verification": shown["verification"]},
                "author": user, "committer": user,
                "parents": [{"sha": p, "url": f"{api}/commits/{p}", "html_url": f"{self.server_url}/{repo.full_name}/commit/{p}"}
                            for p in made.parents],
                "stats": {"total": 0, "additions": 0, "deletions": 0}, "files": [],
            }
        tree = hashlib.sha1(f"tree {sha}".encode()).hexdigest()
        person = {"name": "mlci tests", "email": "tests@mlci.invalid", "date": repo.created_at}
        return {
            "url": f"{api}/commits/{sha}", "sha": sha, "node_id": _node_id("C", zlib.crc32(sha.encode())),
            "html_url": f"{self.server_url}/{repo.full_name}/commit/{sha}", "comments_url": f"{api}/commits/{sha}/comments",
            "commit": {"url": f"{api}/git/commits/{sha}", "author": person, "committer": person,
                       "message": "A commit", "comment_count": 0,
                       "tree": {"sha": tree, "url": f"{api}/git/trees/{tree}"},
                       "verification": {"verified": False, "reason": "unsigned", "signature": None, "payload": None,
                                        "verified_at": None}},
            "author": self._user_json("octocat"), "committer": self._user_json("octocat"), "parents": [],
            "stats": {"total": 0, "additions": 0, "deletions": 0}, "files": [],
        }

    def _status_json(self, status: dict[str, Any]) -> dict[str, Any]:
        creator = self._user_json(status["creator"])
        return {
            "url": f"{self.url}/repos/{status['repo']}/statuses/{status['sha']}", "avatar_url": creator["avatar_url"],
            "id": status["id"], "node_id": _node_id("SC", status["id"]), "state": status["state"],
            "description": status["description"], "target_url": status["target_url"], "context": status["context"],
            "created_at": status["created_at"], "updated_at": status["updated_at"], "creator": creator,
        }

    def _tree_json(self, repo: Repo, sha: str, *, recursive: bool) -> dict[str, Any]:
        api = f"{self.url}/repos/{repo.full_name}"
        listed = self._walk(repo, sha) if recursive else ((e.name, e) for e in repo.trees[sha])
        items, truncated = [], False
        for path, entry in listed:
            if len(items) == self.tree_entry_limit:
                truncated = True
                break
            item: dict[str, Any] = {"path": path, "mode": entry.api_mode, "type": entry.kind, "sha": entry.sha}
            if entry.kind == "blob":
                item["size"] = len(repo.blobs.get(entry.sha, b""))
            if entry.kind != "commit":
                item["url"] = f"{api}/git/{entry.kind}s/{entry.sha}"
            items.append(item)
        return {"sha": sha, "url": f"{api}/git/trees/{sha}", "tree": items, "truncated": truncated}

    def _git_commit_json(self, repo: Repo, commit: GitCommit) -> dict[str, Any]:
        api = f"{self.url}/repos/{repo.full_name}"

        def person(who: GitPerson) -> dict[str, str]:
            return {"name": who.name, "email": who.email,
                    "date": who.when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}

        return {"sha": commit.sha, "node_id": _node_id("C", zlib.crc32(commit.sha.encode())),
                "url": f"{api}/git/commits/{commit.sha}",
                "html_url": f"{self.server_url}/{repo.full_name}/commit/{commit.sha}",
                "author": person(commit.author), "committer": person(commit.committer), "message": commit.message,
                "tree": {"sha": commit.tree, "url": f"{api}/git/trees/{commit.tree}"},
                "parents": [{"sha": p, "url": f"{api}/git/commits/{p}",
                             "html_url": f"{self.server_url}/{repo.full_name}/commit/{p}"} for p in commit.parents],
                "verification": {"verified": False, "reason": "unsigned", "signature": None, "payload": None,
                                 "verified_at": None}}

    def _git_ref_json(self, repo: Repo, name: str) -> dict[str, Any]:
        api = f"{self.url}/repos/{repo.full_name}"
        sha = repo.refs[name]
        kind = self._object_type(repo, sha) or "commit"
        return {"ref": name, "node_id": _node_id("REF", zlib.crc32(f"{repo.full_name}:{name}".encode())),
                "url": f"{api}/git/{urllib.parse.quote(name, safe='/')}",
                "object": {"sha": sha, "type": kind, "url": f"{api}/git/{kind}s/{sha}"}}

    def _git_tag_json(self, repo: Repo, tag: dict[str, Any]) -> dict[str, Any]:
        api = f"{self.url}/repos/{repo.full_name}"
        target = tag["object"]
        return {"node_id": _node_id("TA", zlib.crc32(tag["sha"].encode())), "sha": tag["sha"],
                "url": f"{api}/git/tags/{tag['sha']}", "tagger": dict(tag["tagger"]),
                "object": {"sha": target["sha"], "type": target["type"],
                           "url": f"{api}/git/{target['type']}s/{target['sha']}"},
                "tag": tag["tag"], "message": tag["message"],
                "verification": {"verified": False, "reason": "unsigned", "signature": None, "payload": None,
                                 "verified_at": None}}

    def _release_json(self, release: dict[str, Any]) -> dict[str, Any]:
        repo = self._repos[release["repo"]]
        api = f"{self.url}/repos/{repo.full_name}"
        url = f"{api}/releases/{release['id']}"
        tag = urllib.parse.quote(release["tag_name"], safe="")
        draft = release["draft"]
        shown_tag = f"untagged-{hashlib.sha1(str(release['id']).encode()).hexdigest()[:20]}" if draft else tag
        uploads = self.url + SERVER_PREFIXES[UPLOADS_SERVER]  # see "Servers" in the module's doc
        return {
            "url": url, "assets_url": f"{url}/assets",
            "upload_url": f"{uploads}/repos/{repo.full_name}/releases/{release['id']}/assets{{?name,label}}",
            "html_url": f"{self.server_url}/{repo.full_name}/releases/tag/{shown_tag}", "id": release["id"],
            "author": self._user_json(release["author"]), "node_id": _node_id("RE", release["id"]),
            "tag_name": release["tag_name"], "target_commitish": release["target_commitish"], "name": release["name"],
            "draft": draft, "immutable": False, "prerelease": release["prerelease"],
            "created_at": release["created_at"], "updated_at": release["updated_at"],
            "published_at": release["published_at"],
            "assets": [self._asset_json(release, asset) for asset in release["assets"]],
            "tarball_url": None if draft else f"{api}/tarball/{tag}",
            "zipball_url": None if draft else f"{api}/zipball/{tag}", "body": release["body"],
        }

    def _asset_json(self, release: dict[str, Any], asset: dict[str, Any]) -> dict[str, Any]:
        repo = self._repos[release["repo"]]
        content, uploaded = asset["content"], asset["state"] == "uploaded"
        download = "/".join(urllib.parse.quote(part, safe="") for part in (release["tag_name"], asset["name"]))
        return {
            "url": f"{self.url}/repos/{repo.full_name}/releases/assets/{asset['id']}",
            "browser_download_url": f"{self.server_url}/{repo.full_name}/releases/download/{download}",
            "id": asset["id"], "node_id": _node_id("RA", asset["id"]), "name": asset["name"], "label": asset["label"],
            "state": asset["state"], "content_type": asset["content_type"], "size": len(content),
            "digest": f"sha256:{hashlib.sha256(content).hexdigest()}" if uploaded else None,
            "download_count": 0, "created_at": asset["created_at"], "updated_at": asset["updated_at"],
            "uploader": self._user_json(asset["uploader"]),
        }

def git_object_sha(kind: str, data: bytes) -> str:
    """The SHA git gives ``data`` as an object of ``kind`` ("blob", "tag"...): sha1 of "<kind> <bytes>\\0" + data."""
    return hashlib.sha1(f"{kind} {len(data)}\0".encode() + data).hexdigest()


def git_tag_text(object_sha: str, object_type: str, tag: str, name: str, email: str, when: dt.datetime,
                 message: str) -> bytes:
    """An annotated tag object as git stores it (what ``git mktag`` reads): its headers, a blank line, the
    message exactly as given. ``git tag -a -m msg`` stores "msg\\n"; GitHub's API adds no newline."""
    minutes = int((when.utcoffset() or dt.timedelta(0)).total_seconds()) // 60
    zone = f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
    return (f"object {object_sha}\ntype {object_type}\ntag {tag}\n"
            f"tagger {name} <{email}> {int(when.timestamp())} {zone}\n\n{message}").encode("utf-8")


def git_tree_bytes(entries: list[TreeEntry]) -> bytes:
    """A tree object's content as git stores it: per entry, in git's order, "<mode> <name>\\0" and the 20 bytes of
    its SHA (``git mktree`` writes the same)."""
    return b"".join(f"{e.mode} {e.name}".encode() + b"\0" + bytes.fromhex(e.sha) for e in entries)


def git_commit_text(tree: str, parents: tuple[str, ...], author: GitPerson, committer: GitPerson,
                    message: str) -> bytes:
    """A commit object as git stores it (what ``git hash-object -t commit`` reads): tree, parents, author and
    committer with their seconds and zone, a blank line, the message as given (GitHub's API adds no newline)."""
    def who(person: GitPerson) -> str:
        minutes = int((person.when.utcoffset() or dt.timedelta(0)).total_seconds()) // 60
        zone = f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
        return f"{person.name} <{person.email}> {int(person.when.timestamp())} {zone}"

    lines = [f"tree {tree}", *(f"parent {p}" for p in parents), f"author {who(author)}",
             f"committer {who(committer)}"]
    return ("\n".join(lines) + "\n\n" + message).encode("utf-8")


def kept_asset_name(name: str) -> str:
    """The name GitHub gives an uploaded asset. GitHub "renames asset filenames that have special characters,
    non-alphanumeric characters, and leading or trailing periods" without saying how; the fake's approximation:
    each run of characters other than letters, digits, ``-``, ``_`` and ``.`` becomes one ``.``, and leading and
    trailing periods go. A name of letters, digits, ``-``, ``_`` and inner periods is kept as sent."""
    return re.sub(r"[^A-Za-z0-9._-]+", ".", name).strip(".")


def _valid_ref_name(name: str) -> bool:
    """GitHub's rule (it "start[s] with 'refs' and [has] at least two slashes") and git check-ref-format's."""
    if not name.startswith("refs/") or name.count("/") < 2 or name.endswith(("/", ".", ".lock")):
        return False
    if re.search(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//", name):
        return False
    return not any(part.startswith(".") or part.endswith(".lock") for part in name.split("/"))


def _node_id(prefix: str, number: int) -> str:
    return f"{prefix}_kwDO{base64.b64encode(number.to_bytes(8, 'big')).decode().rstrip('=')}"


def _request_id() -> str:
    raw = uuid.uuid4().hex.upper()
    return f"{raw[:4]}:{raw[4:8]}:{raw[8:15]}:{raw[15:22]}:{raw[22:30]}"


def _parse_time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as GitHub
    server_version = "github.com"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        # The answer goes out as two writes (headers, then body): with Nagle's algorithm the second waits for the
        # client's delayed ACK of the first, about 40 ms per request on a kept-alive connection (Linux). GitHub
        # answers without that stall, so the fake does too.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.fake._lock:  # type: ignore[attr-defined]
            self.server.fake._connections.add(self.connection)  # type: ignore[attr-defined]

    def finish(self) -> None:
        with self.server.fake._lock:  # type: ignore[attr-defined]
            self.server.fake._connections.discard(self.connection)  # type: ignore[attr-defined]
        try:
            super().finish()
        except OSError:
            pass

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        fake: FakeGitHub = self.server.fake  # type: ignore[attr-defined]
        reply = fake.handle(self.command, self.path, self.headers, raw)
        if reply is None:  # drop the connection without an answer
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if reply.delay:
            time.sleep(reply.delay)  # outside the fake's lock: other requests are answered meanwhile
        payload = reply.raw if reply.raw is not None else (
            b"" if reply.body is None else json.dumps(reply.body, ensure_ascii=False).encode("utf-8"))
        try:
            self.send_response(reply.status)
            for key, value in reply.headers.items():
                if reply.status == 204 and key == "content-type":
                    continue
                self.send_header(key, value)
            if reply.status != 204:
                self.send_header("content-length", str(len(payload)))
            self.end_headers()
            if payload and reply.status != 204:
                self.wfile.write(payload)
        except OSError:  # the client gave up waiting (a delayed answer)
            self.close_connection = True

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _dispatch

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


def iter_formats(node: Any) -> Iterator[str]:
    """Every ``format`` a schema in ``node`` names (for the test that each one is checked or known)."""
    if isinstance(node, dict):
        if isinstance(node.get("format"), str) and isinstance(node.get("type"), str):
            yield node["format"]
        for value in node.values():
            yield from iter_formats(value)
    elif isinstance(node, list):
        for value in node:
            yield from iter_formats(value)
