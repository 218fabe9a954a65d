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

/** "2026-03-04" → "Mar 4" (the day as written, not shifted by the time zone). */
export const fmtDay = (day) => {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(y, m - 1, d).toLocaleDateString(undefined, { month: "short", day: "numeric" });
};

export const plural = (n, word, many = `${word}s`) => `${n} ${n === 1 ? word : many}`;

export function readFile(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

/** A file sent through the two-step ephemeral upload; returns its ``runway://`` URI. */
export async function upload(file) {
  const up = await api("/v1/uploads", { method: "POST", body: { filename: file.name, type: "ephemeral" } });
  const fd = new FormData();
  for (const [k, v] of Object.entries(up.fields)) fd.append(k, v);
  fd.append("file", file);
  const res = await fetch(up.uploadUrl, { method: "POST", body: fd });
  if (!res.ok) {
    const data = await res.json().catch(() => ({}));
    throw new ApiError(res.status, data.error || `Upload of ${file.name} failed (${res.status})`);
  }
  return up.runwayUri;
}

/** A multipart POST with the API key (document files, audio samples). */
export async function postForm(path, form) {
  const res = await fetch(path, { method: "POST", body: form, headers: { Authorization: `Bearer ${auth.key}`, "X-Runway-Version": VERSION } });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, data.error || `Request failed (${res.status})`);
  return data;
}

/** A status word as a coloured badge. */
export function statusBadge(status, id) {
  const cls = { READY: "ok", SUCCEEDED: "ok", COMPLETED: "ok", RUNNING: "warn", PROCESSING: "warn", PENDING: "warn", THROTTLED: "warn", NOT_READY: "warn", FAILED: "bad", CANCELLED: "" }[status] ?? "";
  return h("span", { class: `badge ${cls}`, id }, status.replace(/_/g, " ").toLowerCase().replace(/^./, (c) => c.toUpperCase()));
}

/** Refresh the credits line of the account box. */
export async function refreshAccount() {
  const me = await api("/v1/studio/me").catch(() => null);
  if (me) document.getElementById("org-credits").textContent = `${me.creditBalance} credits`;
}

/** The preset characters (cached for the tab's life). */
let presetCache = null;
export async function presets() {
  presetCache ??= api("/v1/studio/presets").then((r) => r.data).catch((err) => { presetCache = null; throw err; });
  return presetCache;
}
