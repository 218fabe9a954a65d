// One conversation from Deployments: who, where, how long, its rating, the transcript and the
// latency of each reply.
import { api, fmtDate, h, plural, presets, statusBadge } from "../api.js";
import { endedLabel } from "./livepanel.js";

const ms = (v) => (v == null ? "—" : `${Math.round(v)} ms`);

export async function render(main, [id]) {
  const [s, presetList] = await Promise.all([api(`/v1/live/sessions/${encodeURIComponent(id)}`), presets().catch(() => [])]);
  let who = s.avatar.presetId ? presetList.find((p) => p.id === s.avatar.presetId)?.name : null;
  if (!who && s.avatar.avatarId) who = await api(`/v1/avatars/${s.avatar.avatarId}`).then((a) => a.name).catch(() => "A deleted character");
  const when = (t) => (t ? new Date(t * 1000).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" }) : "");
  const transcript = h("div", { class: "chat", id: "session-transcript", role: "log", "aria-label": "Transcript", style: "max-height:none" },
    s.transcript.map((m) => h("div", { class: `msg ${m.role === "user" ? "user" : "assistant"}` }, m.content,
      h("span", { class: "note", style: m.role === "user" ? "color:inherit;opacity:.8" : "" }, `${when(m.timestamp)}${m.interrupted ? " · interrupted" : ""}`))));
  if (!s.transcript.length) transcript.append(h("p", { class: "muted" }, "Nothing was said in this conversation."));
  const turns = (s.turns || []).filter((t) => t.turnaround_ms != null);
  main.append(
    h("div", { class: "page-head" }, h("div", {},
      h("div", { class: "crumbs" }, h("a", { href: "#/deployments" }, "Deployments"), " / Conversation"),
      h("h1", {}, `Conversation with ${who || "a character"}`),
      h("p", {}, `${fmtDate(s.startedAt || s.createdAt)} · ${s.origin ? `on ${s.origin}` : "in the Studio"}`)), statusBadge(s.status)),
    h("div", { class: "grid split", style: "align-items:start" },
      h("section", { class: "card stack", "aria-labelledby": "t1" }, h("h2", { id: "t1" }, "Transcript"), transcript),
      h("section", { class: "stack" },
        h("div", { class: "card" }, h("h2", {}, "Summary"), h("dl", { class: "kv" },
          h("dt", {}, "Duration"), h("dd", {}, s.durationSeconds != null ? `${Math.round(s.durationSeconds)} s` : "—"),
          h("dt", {}, "Ended"), h("dd", {}, s.endReason ? endedLabel(s.endReason) : s.status === "RUNNING" ? "Still running" : "—"),
          h("dt", {}, "Questions"), h("dd", {}, plural(s.transcript.filter((m) => m.role === "user").length, "question")),
          h("dt", {}, "Rating"), h("dd", {}, s.satisfaction ? `${"★".repeat(s.satisfaction)} (${s.satisfaction} of 5)` : "Not rated"),
          h("dt", {}, "Frame rate"), h("dd", {}, s.metrics?.fps != null ? `${s.metrics.fps} fps` : "—"),
          h("dt", {}, "Dropped frames"), h("dd", {}, s.metrics ? String(s.metrics.dropped_frames ?? 0) : "—"),
          h("dt", {}, "Session id"), h("dd", {}, h("code", {}, s.id)))),
        h("div", { class: "card" }, h("h2", {}, "Replies"), turns.length
          ? h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "#"), h("th", {}, "From"), h("th", {}, "First audio"), h("th", {}, "Turnaround"))),
            h("tbody", {}, turns.map((t) => h("tr", {}, h("td", {}, t.turn), h("td", {}, t.source), h("td", {}, ms(t.first_audio_ms)), h("td", {}, ms(t.turnaround_ms)))))))
          : h("p", { class: "muted" }, "No replies were measured.")))));
}
