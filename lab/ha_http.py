"""Home Assistant's HTTP API as a person's first visit uses it: wait for it, onboard the user, JSON requests.

Standard library only: scripts/demo.py runs it before anything else is set up,
and lab/home_assistant.py builds the load benchmark's Home Assistant on it.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

REQUEST_TIMEOUT_S = 60.0


def request(
    url: str,
    data: dict[str, Any] | None = None,
    token: str | None = None,
    *,
    form: bool = False,
    timeout_s: float = REQUEST_TIMEOUT_S,
) -> Any:
    """GET (or POST `data` as JSON, or as a form) and the decoded JSON answer."""
    headers = {}
    body = None
    if data is not None:
        if form:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            body = json.dumps(data).encode()
            headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=body, headers=headers, method="POST" if data is not None else "GET")
    with urllib.request.urlopen(req, timeout=timeout_s) as resp:
        return json.loads(resp.read() or b"null")


def wait_until_answers(base_url: str, exited: Callable[[], int | None], timeout_s: float) -> bool:
    """Poll onboarding until Home Assistant answers: True, or False after `timeout_s`.

    `exited` is the process's poll(): its exit code ends the wait early, as a RuntimeError
    the caller words for its reader.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        code = exited()
        if code is not None:
            raise ProcessExited(code)
        try:
            request(f"{base_url}/api/onboarding")
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
        else:
            return True
    return False


class ProcessExited(RuntimeError):
    """Home Assistant's process ended while we waited for it to answer."""

    def __init__(self, code: int) -> None:
        super().__init__(f"exited with code {code}")
        self.code = code


def onboard_user(base_url: str, name: str, username: str, password: str) -> str:
    """Create the owner as onboarding's first step does, and that user's access token."""
    client = f"{base_url}/"
    created = request(
        f"{base_url}/api/onboarding/users",
        {"client_id": client, "name": name, "username": username, "password": password, "language": "en"},
    )
    tokens = request(
        f"{base_url}/auth/token",
        {"grant_type": "authorization_code", "code": created["auth_code"], "client_id": client},
        form=True,
    )
    return str(tokens["access_token"])
