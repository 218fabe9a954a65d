// The Studio's only door to the server: every call carries the API key kept in sessionStorage.
const KEY = "kinema.apiKey";
const VERSION = "2024-11-06";

export const auth = {
  get key() { return sessionStorage.getItem(KEY); },
  set(key) { sessionStorage.setItem(KEY, key); },
  clear() { sessionStorage.removeItem(KEY); },
};

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

export async function api(path, { method = "GET", body, headers = {}, raw = false } = {}) {
  const init = { method, headers: { "X-Runway-Version": VERSION, ...headers } };
  if (auth.key) init.headers.Authorization = `Bearer ${auth.key}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (raw) return res;
  if (res.status === 204) return null;
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, data.error || `Request failed (${res.status})`);
  return data;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function poll(path, done, { interval = 500, timeout = 120000 } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    const value = await api(path);
    if (done(value)) return value;
    if (Date.now() > end) throw new Error("Timed out waiting for the server.");
    await sleep(interval);
  }
}

/** A realtime session for ``avatar`` made READY and consumed: connection details. */
export async function openSession(avatar, extra = {}) {
  const { id } = await api("/v1/realtime_sessions", {
    method: "POST", body: { model: "gwm1_avatars", avatar, ...extra },
  });
  const ready = await poll(`/v1/realtime_sessions/${id}`, (s) => s.status !== "NOT_READY", { interval: 300 });
  if (ready.status !== "READY") throw new Error(ready.failure || `Session ${ready.status}`);
  const res = await fetch(`/v1/realtime_sessions/${id}/consume`, {
    method: "POST", headers: { Authorization: `Bearer ${ready.sessionKey}`, "Content-Type": "application/json" },
  });
  const details = await res.json();
  if (!res.ok) throw new Error(details.error || "consume failed");
  return { id, ...details };
}

export function toast(message) {
  const el = document.getElementById("toast");
  if (!el) return;
  el.textContent = message;
  el.classList.add("show");
  clearTimeout(el._t);
  el._t = setTimeout(() => el.classList.remove("show"), 3200);
}

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "html") el.innerHTML = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export const fmtDate = (iso) =>
  iso ? new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }) : "—";
