"""The server's live sessions: engines prepared while NOT_READY, sessions started on connect,
rows finished when they close.

Preparing (rigging a portrait, setting up the renderer, TTS and ASR) is the slow part, so it runs
in a thread right after ``POST /v1/realtime_sessions``; the row turns READY when it is done. The
``LiveSession`` itself starts only when a client connects, so ``maxDuration`` counts
conversation time, not time spent waiting for a client. When the session closes (client gone,
``maxDuration``, idle timeout, DELETE) its transcript, per-turn metrics and duration are written
back, and the conversation is recorded for ``/v1/avatar_conversations``.

Several nodes may serve one database. A session belongs to the node that prepared it (its row
carries that node's id and address): other nodes send clients there (``consume`` answers with
the owner's URLs) and never fail a session they do not hold. A session is failed as lost only
when its owner is this node, a previous process at this node's address (a restart), or a node
whose lease expired; every node's heartbeat sweeps the sessions of dead nodes, and closes the
sessions it holds that were cancelled through another node.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from kinema.api.live.avatars import AvatarSpec, custom_spec, preset_spec
from kinema.api.live.conversations import record_conversation
from kinema.config import Settings
from kinema.errors import Conflict, KinemaError
from kinema.platform import db
from kinema.platform.deployments import sessions as rows

log = logging.getLogger(__name__)

SESSION_KEY_TTL = 300.0  # seconds a READY session waits for /consume and a connection
LOST_FAILURE = "The server restarted and this live session was lost; create a new session."
LOST_CODE = "INTERNAL.SESSION_LOST"  # Runway's INTERNAL family: retrying (a new session) helps
DEAD_NODE_FAILURE = (
    "The server holding this live session stopped (its node lease expired); create a new session."
)


@dataclass
class Prepared:
    engines: Any
    max_duration: float
    tools: list[dict[str, Any]]


class LiveRuntime:
    """One per app (``app.state.live``). Everything here runs on the server's event loop."""

    def __init__(self, settings: Settings, node: Any = None) -> None:
        self.settings = settings
        self.node_id: str | None = getattr(node, "id", None)
        self.node_url: str = getattr(node, "url", "") or settings.resolved_node_url
        self._loop: asyncio.AbstractEventLoop | None = None
        self.prepared: dict[str, Prepared] = {}
        self.live: dict[str, Any] = {}  # session id -> LiveSession
        self._tasks: set[asyncio.Task[Any]] = set()
        self._expiries: dict[str, asyncio.Task[None]] = {}
        self._preparing: set[str] = set()
        self._resume: dict[str, str] = {}  # session id -> hash of its one-time resume token

    def knows(self, session_id: str) -> bool:
        """Whether this server process holds the session (preparing, READY or live). Sessions
        live only in memory, so after a restart an unfinished row is known to no one."""
        return (
            session_id in self._preparing or session_id in self.prepared or session_id in self.live
        )

    @property
    def node(self) -> dict[str, str | None]:
        """What a new session's row records about its owner."""
        return {"node_id": self.node_id, "node_url": self.node_url}

    def held_elsewhere(self, s: Any, row: Any) -> bool:
        """True when another live node holds this unfinished session (route, don't touch)."""
        from kinema.platform.nodes import Node, is_alive

        if row.status in rows.TERMINAL or self.knows(row.id) or row.node_id is None:
            return False
        if row.node_id == self.node_id or (row.node_url or "") == self.node_url:
            return False  # ours, or a previous process at this very address (a restart)
        return is_alive(s.get(Node, row.node_id), self.settings)

    def fail_if_lost(self, s: Any, row: Any) -> bool:
        """Mark an unfinished row FAILED when nobody holds it any more: this node does not,
        and its owner is this node, a previous process at this address, or a dead node."""
        if row.status in rows.TERMINAL or self.knows(row.id) or self.held_elsewhere(s, row):
            return False
        restarted = row.node_id is None or row.node_url == self.node_url
        rows.fail(s, row.id, LOST_FAILURE if restarted else DEAD_NODE_FAILURE, LOST_CODE)
        s.refresh(row)
        return True

    def owner_url(self, row: Any) -> str | None:
        """The address of the node holding ``row`` when it is not this one."""
        if self.knows(row.id) or not row.node_url or row.node_url == self.node_url:
            return None
        return str(row.node_url)

    def sweep(self) -> None:
        """Run by the node's heartbeat thread: fail the sessions of dead nodes; close sessions
        held here whose row ended elsewhere (cancelled through another node)."""
        from kinema.platform.nodes import dead_node_ids

        with db.session_scope(self.settings) as s:
            rows.fail_dead_nodes(
                s,
                lambda ids: dead_node_ids(s, self.settings, ids),
                DEAD_NODE_FAILURE,
                LOST_CODE,
                exclude=self.node_id,
            )
            held = sorted(set(self.prepared) | set(self.live))
            ended = [sid for sid, st in rows.statuses(s, held).items() if st in rows.TERMINAL]
        loop = self._loop
        if ended and loop is not None and not loop.is_closed():
            for sid in ended:
                asyncio.run_coroutine_threadsafe(self._drop_ended(sid), loop)

    async def _drop_ended(self, session_id: str) -> None:
        session = self.live.get(session_id)
        if session is not None and not session.is_closed:
            await session.close("cancelled")
        elif session is None:
            await self.cancel(session_id)

    def grant_resume_token(self, session_id: str, token: str) -> None:
        """Let the holder of ``token`` join the running session once more (a WebRTC client
        falling back to the WebSocket); replaces an earlier grant."""
        self._resume[session_id] = rows.hash_secret(token)

    def take_resume_token(self, session_id: str, token: str) -> bool:
        """Use up the session's resume token; False unless ``token`` is it and still live."""
        expected = self._resume.get(session_id)
        session = self.live.get(session_id)
        if expected is None or session is None or session.is_closed:
            return False
        if not secrets.compare_digest(expected, rows.hash_secret(token)):
            return False
        return self._resume.pop(session_id, None) is not None

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- NOT_READY → READY ----------------------------------------------------------------------

    def prepare(self, session_id: str) -> None:
        self._loop = asyncio.get_running_loop()
        self._preparing.add(session_id)
        self._spawn(self._prepare(session_id))

    async def _prepare(self, session_id: str) -> None:
        try:
            engines, row = await asyncio.to_thread(self._build, session_id)
        except Exception as exc:  # an engine could not start: the session fails, loudly
            self._preparing.discard(session_id)
            if not isinstance(exc, KinemaError):
                log.exception("preparing realtime session %s failed", session_id)
            code = getattr(exc, "code", "INTERNAL")
            with db.session_scope(self.settings) as s:
                rows.fail(s, session_id, f"Could not prepare the avatar: {exc}", code)
            return
        self._preparing.discard(session_id)
        self.prepared[session_id] = Prepared(engines, float(row["max_duration"]), row["tools"])
        with db.session_scope(self.settings) as s:
            if rows.mark_ready(s, session_id, ttl=SESSION_KEY_TTL) is None:
                self.prepared.pop(session_id, None)  # cancelled while we were preparing
                return
        self._expiries[session_id] = asyncio.create_task(self._expire(session_id))

    async def _expire(self, session_id: str) -> None:
        """Free the engines of a session nobody connected to before its key expired."""
        await asyncio.sleep(SESSION_KEY_TTL + 1.0)
        self._expiries.pop(session_id, None)
        if self.prepared.pop(session_id, None) is not None:
            with db.session_scope(self.settings) as s:
                rows.fail(
                    s, session_id, "The session key expired before a client connected.",
                    "SESSION_EXPIRED",
                )  # fmt: skip

    def _build(self, session_id: str) -> tuple[Any, dict[str, Any]]:
        from kinema.brain.persona import Persona
        from kinema.live.wiring import build_engines

        with db.session_scope(self.settings) as s:
            row = rows.get_any(s, session_id)
            avatar = row.avatar
            spec: AvatarSpec = (
                preset_spec(avatar["presetId"])
                if avatar.get("type") == "runway-preset"
                else custom_spec(s, row.org_id, avatar["avatarId"], self.settings)
            )
            info: dict[str, Any] = {
                "org_id": row.org_id,
                "max_duration": row.max_duration,
                "tools": list(row.tools or []),
                "personality": row.personality,
                "start_script": row.start_script,
            }
        start_script = info["start_script"] or spec.start_script
        persona = (
            Persona.from_personality(
                spec.name,
                info["personality"],
                start_script=start_script,
                knowledge_only=spec.knowledge_only,
            )
            if info["personality"]
            else Persona(
                spec.name,
                template=spec.template,
                description=spec.description,
                start_script=start_script,
                knowledge_only=spec.knowledge_only,
            )
        )
        index = _knowledge_index(self.settings) if spec.doc_ids else None
        engines = build_engines(
            rig=spec.rig,
            portrait=spec.portrait,
            rig_id=spec.key if spec.rig is None else None,
            size=self.settings.live_size,
            voice=spec.voice,
            persona=persona,
            index=index,
            org_id=info["org_id"],
            doc_ids=spec.doc_ids,
        )
        engines.emotion = spec.emotion
        return engines, info

    # -- READY → RUNNING → finished -------------------------------------------------------------

    async def attach(self, session_id: str) -> Any:
        """The running session for a connection, started on the first connect."""
        from kinema.live.session import LiveSession, SessionConfig
        from kinema.live.tools import ClientTool

        self._loop = asyncio.get_running_loop()
        session = self.live.get(session_id)
        if session is not None and not session.is_closed:
            return session
        prepared = self.prepared.pop(session_id, None)
        expiry = self._expiries.pop(session_id, None)
        if expiry is not None:
            expiry.cancel()
        if prepared is None:
            with db.session_scope(self.settings) as s:
                rows.fail(s, session_id, LOST_FAILURE, LOST_CODE)
            raise Conflict("This session is no longer available on the server; create another.")
        tools = [ClientTool.from_dict(t) for t in prepared.tools if t.get("type") == "client_event"]
        config = SessionConfig.from_settings(max_duration=prepared.max_duration, tools=tools)
        session = LiveSession(prepared.engines, config, session_id=session_id)
        await session.start()
        self.live[session_id] = session
        self._spawn(self._finish_when_closed(session))
        return session

    async def _finish_when_closed(self, session: Any) -> None:
        await session.closed.wait()
        reason = session.close_reason or "closed"
        transcript = [dict(e) for e in session.transcript]
        turns = session.turn_records()
        metrics = {k: v for k, v in session.metrics().items() if k != "last_turn"}
        await asyncio.to_thread(self._store, session.id, reason, transcript, turns, metrics)
        self.live.pop(session.id, None)
        self._resume.pop(session.id, None)

    def _store(
        self,
        session_id: str,
        reason: str,
        transcript: list[dict[str, Any]],
        turns: list[dict[str, Any]],
        metrics: dict[str, Any],
    ) -> None:
        with db.session_scope(self.settings) as s:
            row = rows.finish(
                s, session_id, reason=reason, transcript=transcript, turns=turns, metrics=metrics
            )
            try:
                record_conversation(s, row, turns)
            except Exception:  # the live row is the record of truth; never lose it for this
                log.exception("could not record conversation %s", session_id)

    async def cancel(self, session_id: str) -> None:
        self.prepared.pop(session_id, None)
        expiry = self._expiries.pop(session_id, None)
        if expiry is not None:
            expiry.cancel()
        session = self.live.get(session_id)
        if session is not None:
            await session.close("cancelled")

    async def shutdown(self) -> None:
        from kinema.live.transport.webrtc import close_all_peers

        for task in self._expiries.values():
            task.cancel()
        for session in list(self.live.values()):
            with contextlib.suppress(Exception):
                await session.close("server_shutdown")
        with contextlib.suppress(Exception):
            await close_all_peers()
        for task in list(self._tasks):  # the rows of the sessions just closed get written
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 5.0)
        self.prepared.clear()


def _knowledge_index(settings: Settings) -> Any:
    try:
        from kinema.platform.characters.common import get_index
    except ImportError:
        return None
    return get_index(settings)


def runtime_of(app: Any) -> LiveRuntime:
    runtime = getattr(app.state, "live", None)
    if runtime is None:
        runtime = app.state.live = LiveRuntime(app.state.settings, getattr(app.state, "node", None))
    return runtime
