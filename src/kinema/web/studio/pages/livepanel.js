// A live conversation panel: video stage with captions, transcript, composer, mic, metrics.
import { h, openSession, toast } from "../api.js";
import { icons } from "../icons.js";
import { LiveClient } from "../live.js";

export function livePanel(avatar, { transport = "auto", title = "Conversation", greet = "" } = {}) {
  const video = h("video", { autoplay: true, playsinline: true, id: "live-video", "aria-label": "Character video" });
  const status = h("span", { class: "badge status", id: "live-status" }, "Not connected");
  const caption = h("div", { class: "caption", id: "live-caption", "aria-live": "polite", "aria-atomic": "true" });
  const chat = h("div", { class: "chat", id: "live-transcript", role: "log", "aria-live": "polite", "aria-label": "Transcript" });
  const input = h("input", { id: "live-input", type: "text", placeholder: "Type a message…", autocomplete: "off", disabled: true });
  const send = h("button", { type: "submit", id: "live-send", disabled: true }, "Send");
  const mic = h("button", { type: "button", class: "secondary icon", id: "live-mic", "aria-pressed": "false", disabled: true, title: "Talk with your microphone", html: `${icons.mic} Mic` });
  const stop = h("button", { type: "button", class: "secondary", id: "live-interrupt", disabled: true }, "Interrupt");
  const start = h("button", { type: "button", id: "live-start" }, "Start conversation");
  const end = h("button", { type: "button", class: "danger", id: "live-end", hidden: true }, "End");
  const m = { turnaround: h("b", {}, "—"), fps: h("b", {}, "—"), transport: h("b", {}, "—") };
  const metrics = h("div", { class: "metrics", "aria-label": "Live metrics" },
    h("div", {}, m.turnaround, h("span", { class: "muted small" }, "turnaround ms")),
    h("div", {}, m.fps, h("span", { class: "muted small" }, "frames / s")),
    h("div", {}, m.transport, h("span", { class: "muted small" }, "transport")));
  const form = h("form", { class: "composer", "aria-label": "Send a message" },
    h("label", { for: "live-input", class: "sr-only" }, "Message"), input, send);
  let client = null;
  let captionTimer = null;
  let frames = 0;
  let fpsTimer = null;

  const setStatus = (text, cls = "") => { status.textContent = text; status.className = `badge status ${cls}`; };
  const addMsg = (role, text) => {
    chat.append(h("div", { class: `msg ${role}` }, text));
    chat.scrollTop = chat.scrollHeight;
  };
  const enable = (on) => { for (const el of [input, send, mic, stop]) el.disabled = !on; };

  function onEvent(e) {
    const ev = e.detail;
    if (ev.type === "state") {
      setStatus(ev.state[0].toUpperCase() + ev.state.slice(1), ev.state === "speaking" ? "ok" : "");
      clearTimeout(captionTimer);
      if (ev.state === "idle") captionTimer = setTimeout(() => { caption.textContent = ""; }, 3000);
    } else if (ev.type === "caption") { clearTimeout(captionTimer); caption.textContent = ev.text; }
    else if (ev.type === "transcript" && ev.role === "user" && !ev._local) { /* shown on send */ }
    else if (ev.type === "transcript" && ev.role === "assistant" && ev.content) addMsg("assistant", ev.content);
    else if (ev.type === "turn_metrics" && ev.turnaround_ms) m.turnaround.textContent = Math.round(ev.turnaround_ms);
    else if (ev.type === "client_event") toast(`Tool called: ${ev.name}`);
    else if (ev.type === "error") toast(ev.message);
    else if (ev.type === "closed") {
      setStatus(`Ended (${ev.reason.replace(/_/g, " ")})`); enable(false); end.hidden = true; start.hidden = false;
      askRating();
    }
  }

  async function begin() {
    start.disabled = true;
    rating.hidden = true;
    setStatus("Preparing…");
    client = new LiveClient(video, { transport });
    client.addEventListener("event", onEvent);
    client.addEventListener("transport", (e) => { m.transport.textContent = e.detail; });
    try {
      const kind = await client.connect(() => openSession(avatar));
      setStatus("Connected", "ok");
      m.transport.textContent = kind;
      enable(true);
      start.hidden = true; end.hidden = false; start.disabled = false;
      if (greet) { addMsg("user", greet); client.sendText(greet); } else input.focus();
      const tick = () => { frames++; video.requestVideoFrameCallback?.(tick); };
      video.requestVideoFrameCallback?.(tick);
      let last = 0;
      fpsTimer = setInterval(() => { m.fps.textContent = frames - last; last = frames; }, 1000);
    } catch (err) {
      setStatus("Failed", "bad");
      toast(err.message);
      start.disabled = false;
    }
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text || !client) return;
    addMsg("user", text);
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
  end.addEventListener("click", () => { client?.close(); onEvent({ detail: { type: "closed", reason: "ended" } }); });

  const rating = h("div", { class: "rating", id: "live-rating", role: "group", "aria-label": "Rate this conversation", hidden: true });
  function askRating() {
    const details = client?.details;
    if (!details?.token || !rating.hidden) return;
    rating.replaceChildren(h("span", { class: "muted small" }, "How was it?"),
      ...[1, 2, 3, 4, 5].map((n) => h("button", { type: "button", class: "secondary", "aria-pressed": "false", "aria-label": `${n} of 5`,
        onclick: async (e) => {
          const picked = e.currentTarget;
          await fetch(`/v1/live/sessions/${details.id || details.roomName}/rating`, {
            method: "POST", headers: { "Content-Type": "application/json", Authorization: `Bearer ${details.token}` },
            body: JSON.stringify({ rating: n }) });
          for (const b of rating.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b === picked));
          toast("Thanks for the rating");
        } }, "★".repeat(n))));
    rating.hidden = false;
  }
  const el = h("div", { class: "grid split" },
    h("div", { class: "stack" },
      h("div", { class: "stage" }, video, h("div", { class: "status" }, status), caption),
      h("div", { class: "row" }, start, end, mic, stop)),
    h("div", { class: "card convo" }, h("h2", {}, title), chat, form, metrics, rating));
  el.leave = () => { clearInterval(fpsTimer); client?.close(); };
  el.start = begin;
  return el;
}
