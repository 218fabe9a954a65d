"""The nodes of a deployment: every ``kinema serve`` process (API server, dispatcher or both)
registers a row, renews its lease by heartbeat and marks it stopped on a clean exit.

The table answers three questions: which nodes are alive (a heartbeat younger than
``node_lease_seconds``), where a node is reached (its ``url``: live sessions are routed to the
node holding them), and whether the nodes share one secret key (each stores a fingerprint of
its key, never the key; a node whose key differs from a live peer's refuses to start, since the
URLs and tokens one signs would not verify on the other).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import socket
import threading
from datetime import datetime, timedelta

from sqlalchemy import DateTime, Integer, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from kinema.config import Settings
from kinema.errors import KinemaError
from kinema.platform import db
from kinema.platform.models import Base, new_id, utcnow
from kinema.platform.tasks import as_utc

log = logging.getLogger("kinema.nodes")

ROLES = ("all", "api", "dispatcher")


class NodeConfigError(KinemaError):
    """This node must not start as configured (the message says what to change)."""

    status = 500
    code = "CONFIGURATION"


class Node(Base):
    __tablename__ = "nodes"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    role: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(300), default="")  # "" for a dispatcher
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    key_fingerprint: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


def key_fingerprint(secret: str) -> str:
    """A fingerprint of the secret key that tells keys apart without revealing them."""
    return hmac.new(secret.encode(), b"kinema node key fingerprint", hashlib.sha256).hexdigest()[
        :32
    ]


def check_role(settings: Settings, role: str | None = None) -> None:
    """Refuse configurations that cannot work: a split role (``settings.role`` api or
    dispatcher) without an explicit shared key, and a process that runs tasks (``role``,
    default ``settings.role``) on storage its worker processes cannot see."""
    role = role or settings.role
    for r in {role, settings.role}:
        if r not in ROLES:
            raise NodeConfigError(f"role: {r!r} is not one of {', '.join(ROLES)}.")
    if role in ("all", "dispatcher") and settings.resolved_storage_url.startswith("memory://"):
        raise NodeConfigError(
            "storage_url: memory:// lives in one process, and render workers cannot see it. "
            "Use a folder, or s3://bucket/prefix for several machines."
        )
    if settings.role != "all" and not settings.secret_key:
        raise NodeConfigError(
            f"--role {settings.role} is part of a multi-node setup: set the same "
            "KINEMA_SECRET_KEY on every node (e.g. `openssl rand -hex 32`), so output URLs and "
            "connect tokens signed by one node verify on the others."
        )
    if settings.role != "all" and settings.resolved_database_url.startswith("sqlite"):
        log.warning(
            "role %s on SQLite: every node must run on this machine and share %s",
            settings.role,
            settings.resolved_database_url,
        )


def alive_cutoff(settings: Settings) -> datetime:
    return utcnow() - timedelta(seconds=settings.node_lease_seconds)


def is_alive(node: Node | None, settings: Settings) -> bool:
    return (
        node is not None
        and node.stopped_at is None
        and as_utc(node.heartbeat_at) >= alive_cutoff(settings)
    )


def live_nodes(s: Session, settings: Settings) -> list[Node]:
    return list(
        s.scalars(
            select(Node)
            .where(Node.stopped_at.is_(None), Node.heartbeat_at >= alive_cutoff(settings))
            .order_by(Node.started_at)
        )
    )


def dead_node_ids(s: Session, settings: Settings, ids: set[str]) -> set[str]:
    """Which of ``ids`` are not alive (stopped, lease expired or never registered)."""
    if not ids:
        return set()
    rows = s.scalars(select(Node).where(Node.id.in_(ids))).all()
    alive = {n.id for n in rows if is_alive(n, settings)}
    return ids - alive


class NodeAgent:
    """This process's node row: registered on ``start``, heartbeated by a thread, stopped on
    ``stop``. Each beat also runs the ``on_beat`` callbacks (sweeps that need a live node)."""

    def __init__(self, settings: Settings, role: str | None = None) -> None:
        self.settings = settings
        self.role = role or settings.role
        self.id = new_id()
        self.url = settings.resolved_node_url if self.role != "dispatcher" else ""
        self.fingerprint = key_fingerprint(settings.resolved_secret_key())
        self.interval = max(0.2, settings.node_lease_seconds / 3)
        self.on_beat: list = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Register, then refuse to run beside a live peer that signs with another key."""
        check_role(self.settings, self.role)
        with db.session_scope(self.settings) as s:
            s.add(
                Node(
                    id=self.id,
                    role=self.role,
                    url=self.url,
                    host=socket.gethostname(),
                    pid=os.getpid(),
                    key_fingerprint=self.fingerprint,
                    started_at=utcnow(),
                    heartbeat_at=utcnow(),
                )
            )
        with db.session_scope(self.settings) as s:
            others = [n for n in live_nodes(s, self.settings) if n.id != self.id]
        strangers = [n for n in others if n.key_fingerprint != self.fingerprint]
        here = socket.gethostname()
        twins = [n for n in others if self.url and n.url == self.url and n.host != here]
        if twins and not strangers:
            self._mark_stopped()
            raise NodeConfigError(
                f"Node {twins[0].host} already serves as {self.url}: give each node its own "
                "address with KINEMA_NODE_URL (live sessions are routed by it)."
            )
        if strangers:
            self._mark_stopped()
            where = ", ".join(f"{n.role}@{n.url or n.host}" for n in strangers[:3])
            raise NodeConfigError(
                f"Another node on this database ({where}) signs with a different secret key. "
                "Set the same KINEMA_SECRET_KEY on every node, then start again."
            )
        self._thread = threading.Thread(target=self._loop, name="kinema-node", daemon=True)
        self._thread.start()

    def beat(self) -> None:
        with db.session_scope(self.settings) as s:
            s.execute(
                update(Node)
                .where(Node.id == self.id)
                .values(heartbeat_at=utcnow(), stopped_at=None)
                .execution_options(synchronize_session=False)
            )
        for fn in list(self.on_beat):
            try:
                fn()
            except Exception:  # a sweep that fails now runs again on the next beat
                log.exception("node sweep failed")

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.beat()
            except Exception:  # the database is away; the next beat retries
                log.exception("node heartbeat failed")

    def _mark_stopped(self) -> None:
        with db.session_scope(self.settings) as s:
            s.execute(
                update(Node)
                .where(Node.id == self.id)
                .values(stopped_at=utcnow())
                .execution_options(synchronize_session=False)
            )

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        try:
            self._mark_stopped()
        except Exception:  # the database is gone too: the lease runs out instead
            log.warning("could not mark node %s stopped", self.id)
