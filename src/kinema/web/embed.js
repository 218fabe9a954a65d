/* Kinema embed widget. One tag on any page listed in the publishable key's allowed origins:
 *
 *   <script src="https://kinema.example/embed.js" data-avatar="AVATAR_ID" data-key="pk_..."
 *     data-position="bottom-right" data-width="360" data-height="560" data-color="#6d5efc"
 *     data-greeting="Hi! Ask me anything." data-title="Chat with Nova" async></script>
 *
 * A launcher button opens a floating window with live video (WebRTC, WebSocket fallback),
 * captions, a text box and a mic button. Styles live in a shadow root, so the host page's CSS
 * neither leaks in nor out. ``window.KinemaEmbed`` exposes open(), close(), send(text).
 */
(function () {
  "use strict";
  const script = document.currentScript || document.querySelector("script[data-key][src*='embed.js']");
  if (!script) return;
  const server = new URL(script.src).origin;
  const d = script.dataset;
  const cfg = {
    avatar: d.avatar || "",
    key: d.key || "",
    position: d.position || "bottom-right",
    width: parseInt(d.width || "360", 10),
    height: parseInt(d.height || "560", 10),
    color: d.color || "#6d5efc",
    text: d.textColor || "#ffffff",
    background: d.background || "",
    greeting: d.greeting || "Hi! How can I help you today?",
    title: d.title || "Chat with us",
    transport: d.transport || "auto",
    open: d.open === "true",
  };
  const [vert, horiz] = cfg.position.split("-");
  const host = document.createElement("div");
  host.id = "kinema-embed";
  const root = host.attachShadow({ mode: "open" });
  root.innerHTML = `
<style>
  :host { all: initial; }
  * { box-sizing: border-box; font-family: ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
  .launcher { position: fixed; ${vert}: 20px; ${horiz}: 20px; z-index: 2147483000; width: 60px; height: 60px; border-radius: 50%;
    border: none; background: ${cfg.color}; color: ${cfg.text}; cursor: pointer; box-shadow: 0 8px 24px rgba(0,0,0,.25); display: grid; place-items: center; }
  .launcher:focus-visible, button:focus-visible, input:focus-visible { outline: 3px solid ${cfg.color}; outline-offset: 2px; }
  .panel { position: fixed; ${vert}: 92px; ${horiz}: 20px; z-index: 2147483000; width: min(${cfg.width}px, calc(100vw - 40px));
    height: min(${cfg.height}px, calc(100vh - 120px)); display: flex; flex-direction: column; border-radius: 18px; overflow: hidden;
    background: ${cfg.background || "Canvas"}; color: CanvasText; color-scheme: light dark; box-shadow: 0 16px 48px rgba(0,0,0,.28); border: 1px solid rgba(127,127,127,.25); }
  [hidden] { display: none !important; }
  header { display: flex; align-items: center; gap: 10px; padding: 12px 14px; background: ${cfg.color}; color: ${cfg.text}; font-weight: 650; font-size: 15px; }
  header .dot { width: 8px; height: 8px; border-radius: 50%; background: #9ca3af; }
  header .dot.live { background: #34d399; }
  header .x, header .hist { background: transparent; border: none; color: inherit; cursor: pointer; line-height: 1; padding: 4px 6px; border-radius: 8px; }
  header .x { font-size: 20px; }
  header .hist { margin-left: auto; font-size: 13px; font-weight: 600; opacity: .9; }
  header .hist[aria-pressed="true"] { background: rgba(255,255,255,.2); }
  .log { position: absolute; inset: 0; z-index: 2; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 8px;
    background: rgba(8,10,16,.94); color: #fff; font-size: 14px; line-height: 1.4; }
  .log:empty::before { content: "No messages yet."; opacity: .7; }
  .log .m { max-width: 88%; padding: 7px 11px; border-radius: 12px; background: rgba(255,255,255,.12); align-self: flex-start; }
  .log .m.user { align-self: flex-end; background: ${cfg.color}; color: ${cfg.text}; }
  .notice { position: absolute; left: 10px; right: 10px; top: 44px; padding: 10px 12px; border-radius: 12px; background: #fff1f1;
    color: #8a1c1c; font-size: 13.5px; line-height: 1.4; border: 1px solid #f3b7b7; }
  .thanks { padding: 14px; text-align: center; border-top: 1px solid rgba(127,127,127,.25); font-size: 14px; }
  .stage { position: relative; flex: 1; min-height: 0; background: #0b0d13; }
  video { width: 100%; height: 100%; object-fit: cover; display: block; }
  .caption { position: absolute; left: 10px; right: 10px; bottom: 10px; padding: 8px 12px; border-radius: 12px; background: rgba(8,10,16,.72);
    color: #fff; font-size: 14px; line-height: 1.4; }
  .caption:empty { display: none; }
  .state { position: absolute; top: 10px; left: 10px; font-size: 12px; padding: 3px 9px; border-radius: 999px; background: rgba(8,10,16,.6); color: #fff; }
  .rate { display: flex; gap: 6px; align-items: center; justify-content: center; flex-wrap: wrap; padding: 12px; border-top: 1px solid rgba(127,127,127,.25); font-size: 14px; }
  .rate button { border: 1px solid rgba(127,127,127,.35); background: transparent; color: inherit; border-radius: 8px; padding: 6px 9px; cursor: pointer; font-size: 14px; }
  .rate button.skip { border: none; text-decoration: underline; }
  form { display: flex; gap: 8px; padding: 10px; border-top: 1px solid rgba(127,127,127,.25); }
  input { flex: 1; min-width: 0; font-size: 14px; padding: 9px 12px; border-radius: 10px; border: 1px solid rgba(127,127,127,.4); background: transparent; color: inherit; }
  button.send, button.mic { border: none; border-radius: 10px; padding: 0 12px; font-weight: 600; cursor: pointer; background: ${cfg.color}; color: ${cfg.text}; }
  button.mic { background: rgba(127,127,127,.18); color: inherit; display: grid; place-items: center; }
  button.mic[aria-pressed="true"] { background: #dc2626; color: #fff; }
  .sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
</style>
<button class="launcher" type="button" aria-label="${cfg.title}" aria-expanded="false" aria-controls="kp"><svg viewBox="0 0 24 24" width="28" height="28" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z"/></svg></button>
<section class="panel" id="kp" role="dialog" aria-label="${cfg.title}" hidden>
  <header><span class="dot" aria-hidden="true"></span><span class="title"></span><button class="hist" type="button" aria-pressed="false" aria-controls="klog">History</button><button class="x" type="button" aria-label="Close chat">×</button></header>
  <div class="stage"><video playsinline autoplay aria-label="Character video"></video><span class="state">Connecting…</span>
    <div class="caption" aria-live="polite" aria-atomic="true"></div>
    <div class="notice" role="alert" hidden></div>
    <div class="log" id="klog" role="log" aria-label="Conversation history" hidden></div></div>
  <div class="rate" role="group" aria-label="Rate this chat" hidden><span>How was this chat?</span>
    <button type="button" data-r="1" aria-label="1 of 5">1</button><button type="button" data-r="2" aria-label="2 of 5">2</button>
    <button type="button" data-r="3" aria-label="3 of 5">3</button><button type="button" data-r="4" aria-label="4 of 5">4</button>
    <button type="button" data-r="5" aria-label="5 of 5">5</button><button type="button" class="skip">No thanks</button></div>
  <div class="thanks" role="status" hidden>Thanks for your rating!</div>
  <form><label class="sr" for="kin">Message</label><input id="kin" type="text" autocomplete="off" placeholder="Type a message…">
    <button class="mic" type="button" aria-pressed="false" aria-label="Microphone"><svg viewBox="0 0 24 24" width="18" height="18" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><rect x="9" y="3" width="6" height="11" rx="3"/><path d="M5 11a7 7 0 0 0 14 0M12 18v3"/></svg></button><button class="send" type="submit">Send</button></form>
</section>`;
  const $ = (s) => root.querySelector(s);
  const launcher = $(".launcher"), panel = $(".panel"), video = $("video"), caption = $(".caption");
  const stateEl = $(".state"), dot = $(".dot"), input = $("input"), mic = $(".mic");
  $(".title").textContent = cfg.title;
  caption.textContent = cfg.greeting;
  const rate = $(".rate"), thanks = $(".thanks"), notice = $(".notice"), log = $(".log"), hist = $(".hist");
  let client = null;
  let captionTimer = null;
  let connecting = null;
  let talked = null; // connection details of a session the visitor spoke in, until rated

  async function details() {
    const res = await fetch(`${server}/v1/live/embed/sessions`, {
      method: "POST",
      headers: { Authorization: `Bearer ${cfg.key}`, "Content-Type": "application/json" },
      body: JSON.stringify({ avatarId: cfg.avatar }),
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(body.error || `Kinema refused the session (${res.status}).`);
    return body;
  }

  function onEvent(e) {
    const ev = e.detail;
    if (ev.type === "state") {
      stateEl.textContent = ev.state[0].toUpperCase() + ev.state.slice(1);
      clearTimeout(captionTimer);
      if (ev.state === "idle") captionTimer = setTimeout(() => { caption.textContent = ""; }, 4000);
    } else if (ev.type === "caption") { clearTimeout(captionTimer); caption.textContent = ev.text; }
    else if (ev.type === "transcript" && ev.content) addLog(ev.role, ev.content);
    else if (ev.type === "client_event") host.dispatchEvent(new CustomEvent("kinema:client_event", { detail: ev, bubbles: true, composed: true }));
    else if (ev.type === "closed") { stateEl.textContent = "Ended"; dot.classList.remove("live"); client = null; connecting = null; }
  }

  function addLog(role, text) {
    const m = document.createElement("div");
    m.className = `m ${role === "user" ? "user" : "bot"}`;
    m.textContent = text;
    log.append(m);
    log.scrollTop = log.scrollHeight;
  }
  hist.addEventListener("click", () => {
    const on = hist.getAttribute("aria-pressed") !== "true";
    hist.setAttribute("aria-pressed", String(on));
    log.hidden = !on;
  });

  // A refusal the visitor can read: the server's reason, or what a network failure means.
  function explain(err) {
    if (err instanceof TypeError) return `Kinema at ${server} could not be reached (offline, or blocked by the browser).`;
    return err.message;
  }

  function connect() {
    if (connecting) return connecting;
    connecting = (async () => {
      const { LiveClient } = await import(`${server}/studio/live.js`);
      client = new LiveClient(video, { transport: cfg.transport });
      client.addEventListener("event", onEvent);
      const kind = await client.connect(details);
      dot.classList.add("live");
      stateEl.textContent = "Live";
      api.transport = kind;
      return client;
    })().catch((err) => {
      stateEl.textContent = "Unavailable";
      notice.textContent = explain(err);
      notice.hidden = false;
      caption.textContent = "";
      connecting = null;
      throw err;
    });
    return connecting;
  }

  function open() {
    panel.hidden = false;
    notice.hidden = true;
    launcher.setAttribute("aria-expanded", "true");
    input.focus();
    return connect();
  }
  function close() {
    if (talked && rate.hidden) {  // ask once for a rating before closing
      rate.hidden = false;
      $("form").hidden = true;
      rate.querySelector("button").focus();
      return;
    }
    finish();
  }
  function finish() {
    rate.hidden = true;
    thanks.hidden = true;
    $("form").hidden = false;
    talked = null;
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    client?.close(); client = null; connecting = null;
    dot.classList.remove("live");
    launcher.focus();
  }
  async function send(text) {
    const c = await connect();
    c.sendText(text);
    talked = c.details;
  }
  async function rateChat(rating) {
    const d = talked;
    talked = null;
    rate.hidden = true;
    thanks.hidden = false;  // a visible thank-you, then the window closes
    thanks.focus?.();
    setTimeout(finish, 1400);
    if (!d) return;
    await fetch(`${server}/v1/live/sessions/${d.id}/rating`, {
      method: "POST", headers: { "Content-Type": "application/json", Authorization: `Bearer ${d.token}` },
      body: JSON.stringify({ rating }),
    }).catch(() => {});
  }
  rate.addEventListener("click", (e) => {
    const b = e.target.closest("button");
    if (!b) return;
    if (b.dataset.r) rateChat(Number(b.dataset.r)); else finish();
  });

  launcher.addEventListener("click", () => (panel.hidden ? open() : close()));
  $(".x").addEventListener("click", close);
  panel.addEventListener("keydown", (e) => { if (e.key === "Escape") close(); });
  $("form").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text).catch(() => {});
  });
  mic.addEventListener("click", async () => {
    const c = await connect();
    if (mic.getAttribute("aria-pressed") === "true") { c.stopMic(); mic.setAttribute("aria-pressed", "false"); }
    else { try { await c.startMic(); mic.setAttribute("aria-pressed", "true"); } catch (err) { caption.textContent = `Microphone: ${err.message}`; } }
  });

  const api = { root, open, close, send, rate: rateChat, get client() { return client; }, transport: null };
  window.KinemaEmbed = api;
  const mount = () => { document.body.appendChild(host); if (cfg.open) open(); };
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
