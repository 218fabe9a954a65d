// Deployments: embed snippet and publishable keys per character; charts of conversations per
// day, satisfaction, latency p50/p95 per stage and frame rate; recent sessions that open into
// their transcript.
import { api, fmtDate, fmtDay, h, plural, presets, statusBadge, toast } from "../api.js";
import { barChart } from "../charts.js";

const STAGES = { asr_ms: "Speech recognition", first_sentence_ms: "First sentence", first_audio_ms: "First audio", first_frame_ms: "First frame", turnaround_ms: "Turnaround" };

function snippet(key) {
  return `<script src="${location.origin}/embed.js"\n  data-avatar="${key.avatarId}"\n  data-key="${key.key}"\n  data-position="bottom-right"\n  data-color="#6d5efc"\n  data-greeting="Hi! Ask me anything."\n  async></script>`;
}

export async function render(main, [selected]) {
  const [avatars, presetList, keys, stats, sessions] = await Promise.all([
    api("/v1/avatars?limit=100").then((r) => r.data).catch(() => []),
    presets().catch(() => []),
    api("/v1/publishable_keys").then((r) => r.data),
    api("/v1/deployments/stats?days=14"),
    api("/v1/live/sessions?limit=15").then((r) => r.data),
  ]);
  const names = Object.fromEntries([...presetList.map((p) => [p.id, `${p.name} (preset)`]), ...avatars.map((a) => [a.id, a.name])]);

  // -- keys + snippet ---------------------------------------------------------------------------
  const ready = avatars.filter((a) => a.status === "READY");
  const avatarSel = h("select", { id: "key-avatar" },
    ready.length ? h("optgroup", { label: "My characters" }, ready.map((a) => h("option", { value: a.id, selected: a.id === selected }, a.name))) : null,
    h("optgroup", { label: "Presets" }, presetList.map((p) => h("option", { value: p.id, selected: p.id === selected }, p.name))));
  const origins = h("input", { type: "text", id: "key-origins", placeholder: "https://www.your-site.com, https://shop.your-site.com", required: true, autocomplete: "off" });
  const snippetBox = h("pre", { class: "snippet", id: "embed-snippet", tabindex: "0", "aria-label": "Embed snippet" },
    keys[0] ? snippet(keys[0]) : "Create a publishable key to get your snippet.");
  const copy = h("button", { type: "button", class: "secondary", id: "copy-snippet" }, "Copy snippet");
  copy.addEventListener("click", async () => {
    try { await navigator.clipboard.writeText(snippetBox.textContent); toast("Snippet copied"); } catch { toast("Select the snippet and copy it (the browser refused the clipboard)."); }
  });
  const table = h("tbody");
  const drawKeys = (list) => {
    table.replaceChildren(...list.map((k) => {
      const revoke = h("button", { type: "button", class: "danger small", "aria-label": `Revoke key ${k.key.slice(0, 10)}` }, "Revoke");
      revoke.addEventListener("click", async () => {
        if (!confirm("Revoke this key? Widgets using it stop working at once.")) return;
        await api(`/v1/publishable_keys/${k.id}`, { method: "DELETE" });
        toast("Key revoked");
        drawKeys(list.filter((x) => x !== k));
      });
      const show = h("button", { type: "button", class: "link" }, "Snippet");
      show.addEventListener("click", () => { snippetBox.textContent = snippet(k); snippetBox.focus(); });
      return h("tr", {}, h("td", { "data-label": "Key" }, h("code", {}, `${k.key.slice(0, 14)}…`)), h("td", { "data-label": "Character" }, names[k.avatarId] || k.avatarId),
        h("td", { class: "small wrap", "data-label": "Origins" }, k.allowedOrigins.join(", ")), h("td", {}, h("div", { class: "row" }, show, revoke)));
    }));
    if (!list.length) table.append(h("tr", {}, h("td", { colspan: 4, class: "muted" }, "No keys yet.")));
  };
  drawKeys(keys);
  const form = h("form", { class: "stack", "aria-label": "New publishable key" },
    h("div", {}, h("label", { for: "key-avatar" }, "Character"), avatarSel),
    h("div", {}, h("label", { for: "key-origins" }, "Allowed origins"), origins,
      h("div", { class: "hint" }, "The sites that embed the widget, comma-separated: scheme and host, e.g. https://www.your-site.com.")),
    h("div", { class: "row" }, h("button", { type: "submit", id: "key-create" }, "Create publishable key")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const k = await api("/v1/publishable_keys", { method: "POST", body: { avatarId: avatarSel.value, allowedOrigins: origins.value.split(",").map((s) => s.trim()).filter(Boolean) } });
      keys.unshift(k); drawKeys(keys); snippetBox.textContent = snippet(k); toast("Key created");
      origins.value = "";
    } catch (err) { toast(err.message); }
  });

  // -- charts -----------------------------------------------------------------------------------
  const days = stats.conversationsPerDay;
  const perDay = barChart({ title: "Conversations per day", highlightLast: true,
    labels: days.map((d, i) => (i === days.length - 1 ? "Today" : fmtDay(d.date))), series: [{ label: "conversations", values: days.map((d) => d.sessions) }] });
  const stageKeys = Object.keys(STAGES).filter((k) => stats.latency[k]?.n);
  const latency = stageKeys.length
    ? barChart({ title: "Latency per stage (p50 and p95, ms)", labels: stageKeys.map((k) => STAGES[k]),
        series: [{ label: "p50", values: stageKeys.map((k) => stats.latency[k].p50) }, { label: "p95", values: stageKeys.map((k) => stats.latency[k].p95), cls: "bar2" }] })
    : h("p", { class: "muted" }, "No turns measured yet: talk to a character in test mode.");
  const hist = stats.satisfaction.histogram;
  const sat = barChart({ title: "Satisfaction ratings", labels: ["1 ★", "2 ★", "3 ★", "4 ★", "5 ★"], series: [{ label: "ratings", values: [1, 2, 3, 4, 5].map((r) => hist[r]) }], height: 150 });
  const card = (title, value, sub) => h("div", { class: "card" }, h("h3", {}, title), h("div", { class: "stat" }, value), h("div", { class: "muted small" }, sub));
  const turn = stats.latency.turnaround_ms;

  const rows = sessions.map((s) => {
    const user = s.transcript.filter((m) => m.role === "user").length;
    return h("tr", {},
      h("td", { "data-label": "Started" }, h("a", { href: `#/deployments/session/${s.id}`, "aria-label": `Open the conversation of ${fmtDate(s.startedAt || s.createdAt)}` }, fmtDate(s.startedAt || s.createdAt))),
      h("td", { "data-label": "Character" }, names[s.avatar.avatarId || s.avatar.presetId] || "(deleted)"),
      h("td", { "data-label": "Status" }, statusBadge(s.status)),
      h("td", { "data-label": "Duration" }, s.durationSeconds != null ? `${Math.round(s.durationSeconds)} s` : "—"),
      h("td", { "data-label": "Messages" }, `${plural(user, "question")}${s.satisfaction ? ` · ${s.satisfaction}★` : ""}`),
      h("td", { class: "small wrap", "data-label": "Where" }, s.origin || "Studio"),
      h("td", {}, h("a", { class: "button secondary small", href: `#/deployments/session/${s.id}` }, "Transcript")));
  });

  main.append(
    h("div", { class: "page-head" }, h("div", {}, h("h1", {}, "Deployments"), h("p", {}, "Put a character on your site and watch how it does."))),
    h("div", { class: "grid cols-3 mb" },
      card("Conversations", stats.sessions, `last ${stats.days} days`),
      card("Turnaround p95", turn.p95 != null ? `${Math.round(turn.p95)} ms` : "—", turn.p50 != null ? `p50 ${Math.round(turn.p50)} ms · ${plural(turn.n, "reply", "replies")}` : "no replies yet"),
      card("Satisfaction", stats.satisfaction.average != null ? `${stats.satisfaction.average} / 5` : "—", `${plural(stats.satisfaction.count, "rating")} · ${stats.fps.p50 ?? "—"} fps median`)),
    h("div", { class: "grid cols-2 mb" },
      h("section", { class: "card chart", "aria-labelledby": "c1" }, h("h2", { id: "c1" }, "Conversations per day"), perDay),
      h("section", { class: "card chart", "aria-labelledby": "c2" }, h("h2", { id: "c2" }, "Latency per stage"),
        h("div", { class: "legend" }, h("span", {}, h("i", { style: "background:var(--accent)" }), "p50"), h("span", {}, h("i", { style: "background:var(--accent-2);opacity:.55" }), "p95")), latency)),
    h("div", { class: "grid cols-2 mb" },
      h("section", { class: "card stack", "aria-labelledby": "k1" }, h("h2", { id: "k1" }, "Embed on your site"), form, snippetBox, h("div", { class: "row" }, copy)),
      h("section", { class: "card chart stack", "aria-labelledby": "c3" }, h("h2", { id: "c3" }, "Satisfaction"), sat,
        h("div", { class: "metrics" }, h("div", {}, h("b", {}, stats.fps.p50 ?? "—"), h("span", { class: "muted small" }, "median fps")),
          h("div", {}, h("b", {}, stats.fps.min ?? "—"), h("span", { class: "muted small" }, "lowest fps")),
          h("div", { title: "Frames a slow connection lost, plus frames skipped when the server's CPU fell behind" }, h("b", {}, stats.droppedFrames), h("span", { class: "muted small" }, "frames lost"))))),
    h("section", { class: "card mb", "aria-labelledby": "k2" }, h("h2", { id: "k2" }, "Publishable keys"),
      h("div", { class: "table-wrap" }, h("table", { class: "stacked" }, h("thead", {}, h("tr", {}, h("th", {}, "Key"), h("th", {}, "Character"), h("th", {}, "Origins"), h("th", {}, h("span", { class: "sr-only" }, "Actions")))), table))),
    h("section", { class: "card", "aria-labelledby": "s1" }, h("h2", { id: "s1" }, "Recent conversations"),
      h("div", { class: "table-wrap" }, h("table", { class: "stacked", id: "session-table" },
        h("thead", {}, h("tr", {}, h("th", {}, "Started"), h("th", {}, "Character"), h("th", {}, "Status"), h("th", {}, "Duration"), h("th", {}, "Messages"), h("th", {}, "Where"), h("th", {}, h("span", { class: "sr-only" }, "Open")))),
        h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 7, class: "muted" }, "No conversations yet.")))))));
}
