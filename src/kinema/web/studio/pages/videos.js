// Videos: the organization's generation tasks (video, image, speech, upscales), newest first,
// with progress while they run, players after, and what the engine understood of the prompt.
import { api, fmtDate, h, refreshAccount, statusBadge, toast } from "../api.js";
import { icons } from "../icons.js";

let timer = null;
const ACTIVE = ["PENDING", "RUNNING", "THROTTLED"];
const KINDS = {
  generation: "Video / image", multi_shot: "Storyboard", avatar_video: "Character video", act_two: "Performance",
  speech: "Speech", image_upscale: "Image upscale", video_upscale: "Video upscale", voice_isolation: "Voice isolation",
};

function media(t) {
  const out = t.output?.[0];
  if (t.status !== "SUCCEEDED" || !out) {
    const pct = Math.round((t.progress || 0) * 100);
    if (t.status === "FAILED" || t.status === "CANCELLED") return null;
    return h("div", { class: "stack" }, h("div", { class: "progress", role: "progressbar", "aria-label": `${t.model} progress`, "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": pct }, h("div", { style: `width:${pct}%` })),
      h("span", { class: "muted small" }, t.status === "RUNNING" ? `${pct}% done` : t.status === "THROTTLED" ? "Waiting for a free slot…" : "Queued…"));
  }
  const path = out.split("?")[0];
  if (/\.(png|jpe?g|webp)$/i.test(path)) return h("img", { src: out, alt: t.promptText || "Generated image" });
  if (/\.(wav|mp3|ogg|opus)$/i.test(path)) return h("audio", { src: out, controls: true, preload: "metadata", "aria-label": t.promptText || "Generated speech" });
  return h("video", { src: out, controls: true, preload: "metadata", playsinline: true, "aria-label": t.promptText || "Generated video" });
}

function words(label, list, cls) {
  if (!list?.length) return null;
  return h("div", {}, h("div", { class: "muted small" }, label), h("div", { class: `words ${cls}` }, list.map((w) => h("span", {}, w))));
}

function card(t, redraw) {
  const actions = h("div", { class: "row" });
  if (ACTIVE.includes(t.status)) {
    actions.append(h("button", { type: "button", class: "danger small", onclick: async () => {
      await api(`/v1/tasks/${t.id}`, { method: "DELETE" }).catch((err) => toast(err.message));
      toast("Cancelled; the credits are returned"); redraw();
    } }, "Cancel"));
  } else {
    const out = t.output?.[0];
    if (out) actions.append(h("a", { class: "button secondary small", href: out, download: "" }, "Download"));
    actions.append(h("span", { class: "spacer" }), h("button", { type: "button", class: "link danger-link small", "aria-label": `Delete ${t.model} task`, onclick: async () => {
      await api(`/v1/tasks/${t.id}`, { method: "DELETE" }).catch((err) => toast(err.message));
      redraw();
    } }, "Delete"));
  }
  const cost = t.cost?.credits ?? t.estimatedCost?.credits;
  return h("article", { class: "card stack", "data-task": t.id, "aria-label": `${KINDS[t.kind] || t.kind}: ${t.promptText || t.model}` }, media(t),
    h("div", { class: "row" }, h("b", {}, KINDS[t.kind] || t.kind), h("span", { class: "muted small" }, t.model), h("span", { class: "spacer" }), statusBadge(t.status)),
    t.promptText ? h("div", { class: "small" }, t.promptText) : null,
    words("Understood", t.promptUnderstood, "understood"),
    words("Ignored (the embedded engine cannot draw these)", t.promptIgnored, "ignored"),
    t.failure ? h("div", { class: "alert small" }, t.failure) : null,
    h("div", { class: "muted small" }, `${fmtDate(t.createdAt)}${cost != null ? ` · ${cost} credits${t.cost ? "" : " (reserved)"}` : ""}`),
    actions);
}

export async function render(main) {
  const grid = h("div", { class: "videos", id: "video-list" });
  main.append(
    h("div", { class: "page-head" }, h("div", {}, h("h1", {}, "Videos"), h("p", {}, "Everything you generated: videos, images, speech and upscales, newest first.")),
      h("a", { class: "button", href: "#/new-video", id: "new-video", html: `${icons.plus} New video` })),
    grid);
  let wasActive = false;
  let cards = new Map();
  const draw = async () => {
    const { data } = await api("/v1/studio/tasks?limit=40");
    if (!data.length) {
      grid.replaceChildren(h("div", { class: "card empty", style: "grid-column:1/-1" }, h("h2", {}, "No videos yet"),
        h("p", {}, "Make one from a prompt, an image, a storyboard or one of your characters."),
        h("div", { class: "row", style: "justify-content:center" }, h("a", { class: "button", href: "#/new-video" }, "Make a video"))));
      return false;
    }
    // cards that did not change are kept (a video being watched keeps playing)
    const sameOrder = data.length === cards.size && data.every((t, i) => [...cards.keys()][i] === t.id);
    const next = new Map();
    const els = data.map((t) => {
      const sig = `${t.status}:${t.progress ?? ""}`;
      const old = cards.get(t.id);
      if (old && old.sig === sig) { next.set(t.id, old); return old.el; }
      const el = card(t, draw);
      if (sameOrder && old) old.el.replaceWith(el);
      next.set(t.id, { sig, el });
      return el;
    });
    if (!sameOrder) grid.replaceChildren(...els);
    cards = next;
    const active = data.some((t) => ACTIVE.includes(t.status));
    if (wasActive && !active) refreshAccount();
    wasActive = active;
    return active;
  };
  const loop = async () => { if (await draw().catch(() => false)) timer = setTimeout(loop, 1500); };
  await loop();
}

export function leave() { clearTimeout(timer); }
