// A live conversation panel: video stage with captions, transcript (with sources), composer,
// mic, metrics, and a rating once it ends.
//
// The transcript follows the server: a user bubble when the server logs the user's words (so a
// greeting that was speaking when the user typed stays above the question), an assistant bubble
// as soon as its first sentence plays (captions, per turn), corrected to what was actually said
// when the turn ends (an interrupted reply keeps only its spoken part).
import { h, openSession, toast } from "../api.js";
import { icons } from "../icons.js";
import { LiveClient } from "../live.js";

const ENDED = {
  client: "Ended", ended: "Ended", client_disconnected: "Disconnected", disconnected: "Disconnected",
  max_duration: "Ended: time limit reached", idle_timeout: "Ended after a quiet spell", server_shutdown: "Ended: the server stopped",
};
const STATES = { idle: "Idle", listening: "Listening", thinking: "Thinking", speaking: "Speaking" };

export function endedLabel(reason) {
  return ENDED[reason] || `Ended: ${String(reason || "").replace(/_/g, " ")}`;
}

export function livePanel(avatar, { transport = "auto", title = "Conversation", session = {}, label = "", poster = null } = {}) {
  const video = h("video", { autoplay: true, playsinline: true, id: "live-video", poster, "aria-label": label ? `${label}, live video` : "Character video" });
  const status = h("span", { class: "badge status", id: "live-status" }, "Not connected");
  const placeholder = h("div", { class: "placeholder" }, poster ? "" : "Press “Start conversation” to see and hear the character.");
  const caption = h("div", { class: "caption", id: "live-caption", "aria-live": "polite", "aria-atomic": "true" });
  const chat = h("div", { class: "chat", id: "live-transcript", role: "log", "aria-live": "polite", "aria-label": "Transcript" });
  const input = h("input", { id: "live-input", type: "text", placeholder: "Type a message…", autocomplete: "off", disabled: true });
  const send = h("button", { type: "submit", id: "live-send", disabled: true }, "Send");
  const mic = h("button", { type: "button", class: "secondary icon", id: "live-mic", "aria-pressed": "false", disabled: true, title: "Talk with your microphone", html: `${icons.mic} Mic` });
  const stop = h("button", { type: "button", class: "secondary", id: "live-interrupt", disabled: true }, "Interrupt");
  const start = h("button", { type: "button", id: "live-start" }, "Start conversation");
  const end = h("button", { type: "button", class: "danger", id: "live-end", hidden: true }, "End");
  const m = { turnaround: h("b", { id: "metric-turnaround" }, "—"), fps: h("b", { id: "metric-fps" }, "—"), transport: h("b", { id: "metric-transport" }, "—") };
  const metrics = h("div", { class: "metrics", "aria-label": "Live metrics" },
    h("div", {}, m.turnaround, h("span", { class: "muted small" }, "last reply, ms")),
    h("div", { title: "Frames per second the server streams (the same while idle and speaking)" }, m.fps, h("span", { class: "muted small" }, "stream fps")),
    h("div", {}, m.transport, h("span", { class: "muted small" }, "transport")));
  const form = h("form", { class: "composer", "aria-label": "Send a message" },
    h("label", { for: "live-input", class: "sr-only" }, "Message"), input, send);
  const rating = h("div", { class: "rating", id: "live-rating", role: "group", "aria-label": "Rate this conversation", hidden: true });
  let client = null;
  let captionTimer = null;
  let metricsTimer = null;
  let ended = false;
  const turns = new Map(); // turn number -> assistant bubble (open until its transcript arrives)
  const done = new Set(); // turns whose transcript arrived (a late caption opens no new bubble)

  const setStatus = (text, cls = "") => { status.textContent = text; status.className = `badge status ${cls}`; };
  const scroll = () => { chat.scrollTop = chat.scrollHeight; };
  const enable = (on) => { for (const el of [input, send, mic, stop]) el.disabled = !on; };

  function bubble(role, text) {
    const body = h("span", { class: "text" }, text);
    const el = h("div", { class: `msg ${role}` }, body);
    el._text = body;
    chat.append(el);
    scroll();
    return el;
  }

  function addSources(el, citations) {
    let list = el.querySelector(".sources");
    if (!list) { list = h("ul", { class: "sources", "aria-label": "Sources" }); el.append(list); }
    for (const c of citations) {
      const name = c.doc_name || c.docName || c.name || "Document";
      if ([...list.children].some((li) => li.dataset.key === `${name}:${c.position}`)) continue;
      const snippet = (c.snippet || "").trim();
      list.append(h("li", { "data-key": `${name}:${c.position}` }, h("b", {}, name), snippet ? ` — “${snippet.length > 140 ? `${snippet.slice(0, 140)}…` : snippet}”` : ""));
    }
    scroll();
  }

  function onCaption(ev) {
    clearTimeout(captionTimer);
    caption.textContent = ev.text;
    if (done.has(ev.turn)) return;
    let el = turns.get(ev.turn);
    if (!el) { el = bubble("assistant", ""); el._parts = []; turns.set(ev.turn, el); }
    el._parts.push(ev.text);
    el._text.textContent = el._parts.join(" ");
    if (ev.citations?.length) addSources(el, ev.citations);
    scroll();
  }

  function onAssistantTranscript(ev) {
    // the oldest open bubble is the turn that just ended
    const [turn, el] = [...turns.entries()][0] || [];
    if (el) {
      turns.delete(turn);
      done.add(turn);
      if (ev.content) el._text.textContent = ev.content;
      else if (!el.querySelector(".sources")) { el.remove(); return; }
      if (ev.interrupted) el.append(h("span", { class: "note" }, "(interrupted)"));
    } else if (ev.content) {
      const b = bubble("assistant", ev.content);
      if (ev.interrupted) b.append(h("span", { class: "note" }, "(interrupted)"));
    }
  }

  function onEvent(e) {
    const ev = e.detail;
    if (ev.type === "state") {
      setStatus(STATES[ev.state] || ev.state, ev.state === "speaking" ? "ok" : "");
      clearTimeout(captionTimer);
      if (ev.state === "idle") captionTimer = setTimeout(() => { caption.textContent = ""; }, 3000);
    } else if (ev.type === "caption") onCaption(ev);
    else if (ev.type === "transcript" && ev.role === "user" && ev.content) bubble("user", ev.content);
    else if (ev.type === "transcript" && ev.role === "assistant") onAssistantTranscript(ev);
    else if (ev.type === "turn_metrics" && ev.turnaround_ms) m.turnaround.textContent = Math.round(ev.turnaround_ms);
    else if (ev.type === "metrics" && ev.fps != null) m.fps.textContent = Math.round(ev.fps);
    else if (ev.type === "client_event") toast(`Tool called: ${ev.name}`);
    else if (ev.type === "error") toast(ev.message);
    else if (ev.type === "closed") finished(ev.reason);
  }

  function finished(reason) {
    if (ended) return;
    ended = true;
    clearInterval(metricsTimer);
    setStatus(endedLabel(reason));
    enable(false);
    mic.setAttribute("aria-pressed", "false");
    end.hidden = true; start.hidden = false; start.disabled = false;
    start.textContent = "Start a new conversation";
    askRating();
  }

  async function begin() {
    start.disabled = true;
    rating.hidden = true;
    ended = false;
    turns.clear();
    done.clear();
    if (client) { client.close(); client = null; }
    if (chat.children.length) chat.append(h("hr", { style: "border:none;border-top:1px solid var(--line);width:100%" }));
    setStatus("Preparing…");
    client = new LiveClient(video, { transport });
    client.addEventListener("event", onEvent);
    client.addEventListener("transport", (e) => { m.transport.textContent = e.detail; });
    try {
      const kind = await client.connect(() => openSession(avatar, session));
      placeholder.hidden = true;
      if (!ended) setStatus("Connected", "ok");
      m.transport.textContent = kind;
      enable(true);
      start.hidden = true; end.hidden = false;
      input.focus({ preventScroll: true });
      client.send({ type: "metrics" });
      metricsTimer = setInterval(() => client?.send({ type: "metrics" }), 2000);
    } catch (err) {
      setStatus("Could not connect", "bad");
      toast(err.message);
      start.disabled = false;
    }
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text || !client) return;
    client.sendText(text);
    input.value = "";
  });
  mic.addEventListener("click", async () => {
    if (mic.getAttribute("aria-pressed") === "true") {
      client.stopMic(); mic.setAttribute("aria-pressed", "false");
    } else {
      try { await client.startMic(); mic.setAttribute("aria-pressed", "true"); } catch (err) { toast(`Microphone: ${err.message}`); }
    }
  });
  stop.addEventListener("click", () => client?.interrupt());
  start.addEventListener("click", begin);
  end.addEventListener("click", () => { client?.close(); finished("client"); });

  function askRating() {
    const details = client?.details;
    if (!details?.token) return;
    const thanks = h("span", { class: "muted small", role: "status" });
    rating.replaceChildren(h("span", { class: "muted small" }, "How was it?"),
      ...[1, 2, 3, 4, 5].map((n) => h("button", { type: "button", class: "secondary", "aria-pressed": "false", "aria-label": `${n} of 5`,
        onclick: async (e) => {
          const picked = e.currentTarget;
          const res = await fetch(`/v1/live/sessions/${details.id || details.roomName}/rating`, {
            method: "POST", headers: { "Content-Type": "application/json", Authorization: `Bearer ${details.token}` },
            body: JSON.stringify({ rating: n }) }).catch(() => null);
          if (!res?.ok) { toast("The rating could not be saved."); return; }
          for (const b of rating.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b === picked));
          thanks.textContent = `Thanks — rated ${n} of 5.`;
        } }, "★".repeat(n))), thanks);
    rating.hidden = false;
  }

  const el = h("div", { class: "grid split" },
    h("div", { class: "stack" },
      h("div", { class: "stage" }, video, placeholder, h("div", { class: "status-wrap" }, status), caption),
      h("div", { class: "row" }, start, end, mic, stop)),
    h("div", { class: "card convo" }, h("h2", {}, title), chat, form, metrics, rating));
  el.leave = () => { clearInterval(metricsTimer); clearTimeout(captionTimer); client?.close(); client = null; };
  el.start = begin;
  return el;
}
