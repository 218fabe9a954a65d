"""A pytest plugin loaded into the run of the ``runwayml`` SDK's own generated tests
(``tests/api_resources`` of its sdist) against a real ``kinema serve``.

The SDK's suite is written for a mock server (Stainless/Prism) that accepts any placeholder id
and any ``https://example.com`` URL, so against a real server most of it must fail. This plugin
gives the SDK's clients a real key (its conftest hard-codes ``"My API Key"``), turns off the
SDK's retries (a 5xx must show the first time, not be retried away) and records, for every test,
its outcome and — for each failure — the HTTP exchange behind it, into the JSON file named by
``KINEMA_SDK_REPORT``. The classification itself lives in ``sdk_suite.py`` (the parent side).

Environment: ``KINEMA_SDK_KEY`` (the key), ``KINEMA_SDK_REPORT`` (where to write).
"""

from __future__ import annotations

import json
import os
import traceback
from typing import Any

import pytest

_results: dict[str, dict[str, Any]] = {}


def _patch_clients() -> None:
    import runwayml

    key = os.environ["KINEMA_SDK_KEY"]
    for cls in (runwayml.RunwayML, runwayml.AsyncRunwayML):
        original = cls.__init__

        def init(self: Any, *args: Any, _orig: Any = original, **kwargs: Any) -> None:
            kwargs["api_key"] = key
            kwargs["max_retries"] = 0
            _orig(self, *args, **kwargs)

        cls.__init__ = init  # type: ignore[method-assign]


def pytest_configure(config: pytest.Config) -> None:
    _patch_clients()


def _describe(exc: BaseException) -> dict[str, Any]:
    import runwayml

    info: dict[str, Any] = {"type": type(exc).__name__, "text": str(exc)[:500]}
    if isinstance(exc, runwayml.APIResponseValidationError):
        info["kind"] = "parse"
    elif isinstance(exc, runwayml.APIStatusError):
        info["kind"] = "status"
        info["status"] = exc.status_code
        req = exc.response.request
        info["method"], info["path"] = req.method, req.url.path
        body = exc.body
        info["error"] = body.get("error") if isinstance(body, dict) else None
        try:
            content = req.content
        except Exception:  # noqa: BLE001 - a streamed body that was not read
            content = b""
        info["example_url"] = b"example.com" in content
        try:
            sent = json.loads(content or b"null")
        except ValueError:  # multipart or binary
            sent = None
        if isinstance(sent, dict) and isinstance(sent.get("model"), str):
            info["model"] = sent["model"]
    elif isinstance(exc, runwayml.APIConnectionError):
        info["kind"] = "connection"
    else:
        info["kind"] = "other"
        info["traceback"] = "".join(traceback.format_exception(exc))[-1500:]
    return info


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # noqa: ANN201
    outcome = yield
    report = outcome.get_result()
    entry = _results.setdefault(item.nodeid, {"outcome": "passed"})
    if report.skipped and call.when in ("setup", "call"):
        entry["outcome"] = "skipped"
    elif report.failed:
        entry["outcome"] = "failed"
        entry["when"] = call.when
        if call.excinfo is not None and "failure" not in entry:
            entry["failure"] = _describe(call.excinfo.value)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = os.environ.get("KINEMA_SDK_REPORT")
    if path:
        with open(path, "w") as f:
            json.dump(_results, f)
