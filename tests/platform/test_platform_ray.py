"""The Ray executor behind the same interface (only where Ray is installed: extra ``ray``)."""

from __future__ import annotations

import time

import pytest

from kinema.platform import db, tasks
from kinema.platform.jobs.dispatcher import Dispatcher
from kinema.platform.jobs.registry import register_task_kind
from kinema.platform.models import Task

pytestmark = pytest.mark.slow

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'kinema[ray]')")


def test_ray_executor_runs_a_task(settings, org):
    from kinema.platform.jobs.ray_executor import RayExecutor

    register_task_kind("test.steps", "kinds_for_tests:steps")
    d = Dispatcher(settings, executor=RayExecutor(1), interval=0.05)
    d.start()
    try:
        with db.session_scope(settings) as s:
            tid = tasks.create_task(
                s,
                org_id=org.org_id,
                kind="test.steps",
                model="gen4_turbo",
                payload={"n": 3, "dt": 0.01},
                estimated_cost=5,
                settings=settings,
            ).id
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with db.session_scope(settings) as s:
                status = s.get(Task, tid).status
            if status == "SUCCEEDED":
                break
            time.sleep(0.1)
        with db.session_scope(settings) as s:
            t = s.get(Task, tid)
        assert t.status == "SUCCEEDED", t.failure
        assert t.outputs["files"] == [f"tasks/{tid}/result.txt"]
    finally:
        d.stop()
        ray.shutdown()
