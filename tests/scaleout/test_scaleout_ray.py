"""The Ray executor for real: a local Ray head on 127.0.0.1, a dispatcher feeding it from
PostgreSQL; a render, a cancellation, a killed Ray worker, GPU requests from settings, and
jobs that carry no secrets."""

from __future__ import annotations

import base64
import os
import pickle
import signal
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from scaleout_pg import new_schema

from kinema.config import Settings
from kinema.platform import accounts, db, tasks
from kinema.platform.jobs.registry import register_task_kind
from kinema.platform.jobs.worker import Job
from kinema.platform.models import Task

pytestmark = [pytest.mark.services, pytest.mark.slow]

ray = pytest.importorskip("ray", reason="Ray is a test need: pip install -e '.[dev]'")

DRIVER_SECRET = "driver-secret-key-do-not-ship-0123456789"
DRIVER_LLM_KEY = "sk-driver-llm-key-do-not-ship"
VERSION = {"X-Runway-Version": "2024-11-06"}

register_task_kind("so.first_attempt_hangs", "kinds_scaleout:first_attempt_hangs")
register_task_kind("so.report_env", "kinds_scaleout:report_env")
register_task_kind("so.steps", "kinds_for_tests:steps")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """(settings, dispatcher): Ray head with 2 CPUs and no GPU, one PostgreSQL schema."""
    from kinema.platform.jobs.dispatcher import Dispatcher
    from kinema.platform.jobs.ray_executor import RayExecutor

    tests_dir = str(Path(__file__).parent)
    platform_dir = str(Path(__file__).parents[1] / "platform")
    old_path = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(  # Ray workers import the test kinds
        [tests_dir, platform_dir, *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    home = tmp_path_factory.mktemp("ray") / "home"
    with new_schema() as url:
        settings = Settings(  # type: ignore[call-arg]
            home=home,
            database_url=url,
            secret_key=DRIVER_SECRET,
            llm_api_key=DRIVER_LLM_KEY,
            executor="ray",
            workers=2,
            ray_resources={
                "default": {"num_cpus": 1},
                "so.gpu": {"num_cpus": 1, "num_gpus": 1},
            },
            allow_private_urls=True,
        )
        db.migrate(settings)
        ray.init(
            num_cpus=2,
            num_gpus=0,
            include_dashboard=False,
            log_to_driver=False,
            _node_ip_address="127.0.0.1",
        )
        executor = RayExecutor(2, resources=settings.ray_resources)
        d = Dispatcher(settings, executor=executor, interval=0.05)
        d.start()
        try:
            yield settings, d
        finally:
            d.stop()
            ray.shutdown()
            if old_path is None:
                os.environ.pop("PYTHONPATH", None)
            else:
                os.environ["PYTHONPATH"] = old_path


@pytest.fixture
def org(cluster, request):
    settings = cluster[0]
    with db.session_scope(settings) as s:
        row = accounts.create_org(s, request.node.name[:60], credits=1000)
        _, key = accounts.create_key(s, row.id)
        return row.id, key


def submit(settings: Settings, org_id: str, kind: str, payload: dict, cost: int = 5) -> str:
    with db.session_scope(settings) as s:
        return tasks.create_task(
            s,
            org_id=org_id,
            kind=kind,
            model="gen4_turbo",
            payload=payload,
            estimated_cost=cost,
            settings=settings,
        ).id


def wait_for(settings: Settings, tid: str, states: set[str], timeout: float = 120) -> Task:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with db.session_scope(settings) as s:
            t = s.get(Task, tid)
            if t.status in states:
                return t
        time.sleep(0.1)
    raise AssertionError(f"task {tid} stuck in {t.status}")


def test_ray_renders_a_video(cluster, org, tmp_path):
    """image_to_video through the API, rendered by the compositor in a Ray worker."""
    import numpy as np
    from PIL import Image
    from skimage import data as skdata

    from kinema.api.app import create_app
    from kinema.media.image import encode_image
    from kinema.media.video import probe

    settings, dispatcher = cluster
    _, key = org
    h = {"Authorization": f"Bearer {key}", **VERSION}
    png = encode_image(np.asarray(Image.fromarray(skdata.astronaut()).resize((256, 256))))
    image = "data:image/png;base64," + base64.b64encode(png).decode()
    with TestClient(create_app(settings, run_tasks=False)) as client:
        r = client.post(
            "/v1/image_to_video",
            headers=h,
            json={
                "model": "gen4_turbo",
                "promptImage": image,
                "ratio": "960:960",
                "duration": 2,
                "promptText": "slow zoom",
            },
        )
        assert r.status_code == 200, r.text
        tid = r.json()["id"]
        t = wait_for(settings, tid, {"SUCCEEDED", "FAILED"}, timeout=240)
        assert t.status == "SUCCEEDED", t.failure
        assert t.worker and t.worker.split(":")[-1] != str(os.getpid())  # ran in a Ray worker
        task = client.get(f"/v1/tasks/{tid}", headers=h).json()
        mp4 = client.get(task["output"][0].split("testserver", 1)[1])
    assert mp4.status_code == 200
    path = tmp_path / "out.mp4"
    path.write_bytes(mp4.content)
    info = probe(path)
    assert (info.codec, info.width, info.height) == ("h264", 960, 960)
    assert info.frames >= 2 * 24 - 1


def test_ray_cancel_stops_the_task(cluster, org):
    settings, dispatcher = cluster
    org_id, _ = org
    tid = submit(settings, org_id, "so.steps", {"n": 600, "dt": 0.05})
    wait_for(settings, tid, {"RUNNING"})
    end = time.monotonic() + 60
    while time.monotonic() < end:  # the worker is really under way
        with db.session_scope(settings) as s:
            if s.get(Task, tid).progress > 0:
                break
        time.sleep(0.05)
    with db.session_scope(settings) as s:
        tasks.cancel_or_delete(s, org_id, tid)
    dispatcher.wake()
    t0 = time.monotonic()
    while tid in dispatcher.executor.running() and time.monotonic() - t0 < 10:
        time.sleep(0.05)
    assert tid not in dispatcher.executor.running()
    assert time.monotonic() - t0 < 3.0
    with db.session_scope(settings) as s:
        t = s.get(Task, tid)
        assert (t.status, t.cost) == ("CANCELLED", 0) and t.progress < 1.0
        assert accounts.balance_of(s, org_id) == 1000


def test_a_killed_ray_worker_is_retried(cluster, org, tmp_path):
    settings, _ = cluster
    org_id, _ = org
    marker = tmp_path / "pid"
    tid = submit(settings, org_id, "so.first_attempt_hangs", {"marker": str(marker)})
    end = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < end:
        time.sleep(0.05)
    pid = int(marker.read_text())
    assert pid != os.getpid()
    os.kill(pid, signal.SIGKILL)  # the Ray worker process dies mid-task
    t = wait_for(settings, tid, {"SUCCEEDED", "FAILED"})
    assert t.status == "SUCCEEDED", t.failure
    assert t.attempts == 2
    from kinema.platform.storage import get_storage

    body = get_storage(settings).get_bytes(t.outputs["files"][0]).decode()
    assert body.startswith("attempt=2 ") and f"pid={pid}" not in body
    with db.session_scope(settings) as s:
        assert accounts.balance_of(s, org_id) == 1000 - 5


def test_ray_resources_come_from_settings(cluster, org):
    """A kind configured for a GPU asks Ray for one: on this GPU-less head it never starts
    (and cancels cleanly), while the default kind runs on a CPU."""
    settings, dispatcher = cluster
    org_id, _ = org
    executor = dispatcher.executor
    job = Job("t", 1, "generation", "x:y", {}, engine="diffusers")
    assert executor.options_for(job) == {"num_cpus": 1}  # this cluster's settings
    assert executor.options_for(Job("t", 1, "so.gpu", "x:y", {})) == {
        "num_cpus": 1,
        "num_gpus": 1,
    }
    register_task_kind("so.gpu", "kinds_for_tests:steps")
    tid = submit(settings, org_id, "so.gpu", {"n": 1, "dt": 0.01})
    wait_for(settings, tid, {"RUNNING"})
    time.sleep(2.0)
    with db.session_scope(settings) as s:
        t = s.get(Task, tid)
        assert t.status == "RUNNING" and t.progress == 0.0  # no GPU: Ray holds it back
    with db.session_scope(settings) as s:
        tasks.cancel_or_delete(s, org_id, tid)
    dispatcher.wake()
    end = time.monotonic() + 10
    while tid in executor.running() and time.monotonic() < end:
        time.sleep(0.05)
    assert tid not in executor.running()


def test_jobs_carry_no_secrets(cluster, org):
    settings, dispatcher = cluster
    org_id, _ = org
    pg_with_password = settings.model_copy(
        update={"database_url": "postgresql+psycopg://kinema:hunter2-db-pass@db.internal/k"}
    )
    fields = pg_with_password.for_worker()
    blob = pickle.dumps(Job("t", 1, "k", "m:f", {}, settings=fields))
    for secret in (DRIVER_SECRET, DRIVER_LLM_KEY, "hunter2-db-pass"):
        assert secret.encode() not in blob
    assert "database_url" not in fields and "secret_key" not in fields
    assert fields["storage_url"] == settings.storage_url and fields["home"] == str(settings.home)

    tid = submit(settings, org_id, "so.report_env", {})  # what a Ray worker really got
    t = wait_for(settings, tid, {"SUCCEEDED", "FAILED"})
    assert t.status == "SUCCEEDED", t.failure
    from kinema.platform.storage import get_storage

    seen = get_storage(settings).get_bytes(t.outputs["files"][0]).decode()
    assert DRIVER_SECRET not in seen and DRIVER_LLM_KEY not in seen
    assert "secret_key=\n" in seen  # nothing in the worker's env either
