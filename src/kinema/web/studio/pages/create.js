// Create Character: portrait → quality report (manual points if no face) → personality, voice,
// knowledge → avatar built on the server → live preview of the face talking.
import { api, auth, h, poll, toast } from "../api.js";
import { livePanel } from "./livepanel.js";

const POINT_LABELS = {
  left_eye: "Left eye (as seen)", right_eye: "Right eye (as seen)", nose_tip: "Tip of the nose",
  mouth_left: "Left mouth corner", mouth_right: "Right mouth corner", upper_lip: "Middle of the upper lip",
  lower_lip: "Middle of the lower lip", chin: "Chin",
};
let preview = null;

function readFile(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

function issueList(report) {
  const items = [];
  for (const e of report?.errors || []) items.push(h("li", { class: "error" }, h("b", {}, e.message), h("div", { class: "tip" }, e.tip)));
  for (const w of report?.warnings || []) items.push(h("li", { class: "warning" }, h("b", {}, w.message), h("div", { class: "tip" }, w.tip)));
  if (!items.length) items.push(h("li", { class: "good" }, h("b", {}, "Great portrait."), h("div", { class: "tip" }, "Frontal, sharp, well lit and big enough.")));
  return h("ul", { class: "issues", id: "quality-issues" }, items);
}

export async function render(main) {
  const [templates, voices] = await Promise.all([
    api("/v1/studio/templates").then((r) => r.data),
    api("/v1/voices/presets").then((r) => r.data).catch(() => []),
  ]);
  const state = { image: null, analysis: null, points: {}, order: [] };

  // -- portrait -------------------------------------------------------------------------------
  const file = h("input", { type: "file", id: "portrait-file", accept: "image/*" });
  const drop = h("label", { class: "drop", for: "portrait-file" }, file,
    h("div", { class: "stack" }, h("b", {}, "Upload a portrait"),
      h("span", { class: "muted small" }, "A frontal photo or artwork, face well lit. JPEG or PNG. Drop it here or press Enter to browse.")));
  const img = h("img", { alt: "Uploaded portrait", id: "portrait-img" });
  const pins = h("div");
  const portrait = h("div", { class: "portrait", id: "portrait", hidden: true }, img, pins);
  const quality = h("div", { id: "quality", class: "stack", "aria-live": "polite" });
  const marker = h("div", { id: "marker", class: "stack", hidden: true });

  async function onImage(dataUrl) {
    state.image = dataUrl; state.points = {}; state.analysis = null;
    img.src = dataUrl; portrait.hidden = false; drop.hidden = true; pins.replaceChildren();
    quality.replaceChildren(h("span", { class: "badge" }, "Checking the portrait…"));
    try {
      const a = (state.analysis = await api("/v1/studio/analyze", { method: "POST", body: { image: dataUrl } }));
      quality.replaceChildren(
        h("div", { class: "row" }, h("h2", { style: "margin:0" }, "Quality report"), h("span", { class: "spacer" }),
          h("span", { class: `badge ${a.faceFound ? (a.report.warnings.length ? "warn" : "ok") : "bad"}`, id: "quality-badge" },
            a.faceFound ? (a.report.warnings.length ? "Usable, with tips" : "Ready") : "No face found")),
        a.faceFound ? issueList(a.report) : h("ul", { class: "issues" }, h("li", { class: "error" }, h("b", {}, "No face found."), h("div", { class: "tip" }, a.message))),
        h("button", { type: "button", class: "secondary", onclick: () => { drop.hidden = false; portrait.hidden = true; file.value = ""; file.click(); } }, "Choose another image"));
      if (!a.faceFound) startMarking(a.keypointNames); else marker.hidden = true;
    } catch (err) {
      quality.replaceChildren(h("p", { class: "badge bad", role: "alert" }, err.message));
    }
  }

  // manual keypoints: click (or arrows + Enter) to place each point in turn
  function startMarking(names) {
    state.order = names; state.points = {};
    portrait.classList.add("marking");
    portrait.tabIndex = 0;
    portrait.setAttribute("role", "application");
    marker.hidden = false;
    const cursor = { x: 0.5, y: 0.5 };
    const prompt = h("p", { id: "marker-prompt", "aria-live": "assertive" });
    const reset = h("button", { type: "button", class: "secondary" }, "Start over");
    const next = () => names.find((n) => !state.points[n]);
    const update = () => {
      const n = next();
      prompt.textContent = n ? `Click the ${POINT_LABELS[n].toLowerCase()} (${Object.keys(state.points).length + 1} of ${names.length}). Keyboard: arrows move, Enter places.` : "All points placed. You can create the character.";
    };
    const place = (fx, fy) => {
      const n = next();
      if (!n) return;
      state.points[n] = [Math.round(fx * state.analysis.width), Math.round(fy * state.analysis.height)];
      pins.append(h("span", { class: "pin", title: POINT_LABELS[n], style: `left:${fx * 100}%;top:${fy * 100}%` }));
      update();
    };
    const frac = (e) => {
      const r = img.getBoundingClientRect();
      const k = Math.min(r.width / state.analysis.width, r.height / state.analysis.height);
      const w = state.analysis.width * k, hh = state.analysis.height * k;
      const ox = (r.width - w) / 2, oy = (r.height - hh) / 2;
      return [(e.clientX - r.left - ox) / w, (e.clientY - r.top - oy) / hh, ox / r.width, oy / r.height, w / r.width, hh / r.height];
    };
    portrait.onclick = (e) => {
      const [fx, fy, ox, oy, sw, sh] = frac(e);
      if (fx < 0 || fy < 0 || fx > 1 || fy > 1) return;
      const n = next();
      if (!n) return;
      state.points[n] = [Math.round(fx * state.analysis.width), Math.round(fy * state.analysis.height)];
      pins.append(h("span", { class: "pin", title: POINT_LABELS[n], style: `left:${(ox + fx * sw) * 100}%;top:${(oy + fy * sh) * 100}%` }));
      update();
    };
    portrait.onkeydown = (e) => {
      const step = e.shiftKey ? 0.05 : 0.01;
      if (e.key === "ArrowLeft") cursor.x -= step; else if (e.key === "ArrowRight") cursor.x += step;
      else if (e.key === "ArrowUp") cursor.y -= step; else if (e.key === "ArrowDown") cursor.y += step;
      else if (e.key === "Enter") { place(cursor.x, cursor.y); e.preventDefault(); return; } else return;
      e.preventDefault();
      prompt.textContent = `Cursor at ${Math.round(cursor.x * 100)}%, ${Math.round(cursor.y * 100)}%.`;
    };
    reset.onclick = () => { state.points = {}; pins.replaceChildren(); update(); };
    marker.replaceChildren(h("h2", {}, "Mark the face by hand"), prompt, reset);
    update();
  }

  file.addEventListener("change", async () => { if (file.files[0]) onImage(await readFile(file.files[0])); });
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", async (e) => { e.preventDefault(); drop.classList.remove("over"); if (e.dataTransfer.files[0]) onImage(await readFile(e.dataTransfer.files[0])); });

  // -- details ---------------------------------------------------------------------------------
  const name = h("input", { type: "text", id: "char-name", required: true, maxlength: 200, placeholder: "e.g. Albert" });
  const template = h("select", { id: "char-template" }, h("option", { value: "" }, "Custom (describe below)"),
    templates.map((t) => h("option", { value: t.key }, t.title)));
  const personality = h("textarea", { id: "char-personality", required: true, placeholder: "Who is this character? How do they talk?" });
  template.addEventListener("change", () => {
    const t = templates.find((x) => x.key === template.value);
    if (t) personality.value = t.prompt;
  });
  personality.value = templates[0]?.prompt || "";
  template.value = templates[0]?.key || "";
  const voice = h("select", { id: "char-voice" }, voices.map((v) => h("option", { value: v.presetId }, `${v.name} — ${v.description}`)));
  const player = h("audio", { id: "voice-audio", controls: true, hidden: true });
  const listen = h("button", { type: "button", class: "secondary", id: "voice-preview" }, "▶ Preview");
  listen.addEventListener("click", async () => {
    listen.disabled = true;
    try {
      const res = await api(`/v1/studio/voice_preview/${voice.value}`, { raw: true });
      if (!res.ok) throw new Error("preview failed");
      player.src = URL.createObjectURL(await res.blob());
      player.hidden = false;
      await player.play().catch(() => {});
    } catch (err) { toast(err.message); } finally { listen.disabled = false; }
  });
  const greeting = h("input", { type: "text", id: "char-start", maxlength: 2000, placeholder: "Optional first words, e.g. “Hi! Ask me anything.”" });
  const notes = h("textarea", { id: "char-notes", placeholder: "Facts the character should know (saved as a document)." });
  const docFiles = h("input", { type: "file", id: "char-files", multiple: true, accept: ".txt,.md,.pdf,.docx,.html" });
  const docUrl = h("input", { type: "url", id: "char-url", placeholder: "https://…" });
  const knowledgeOnly = h("input", { type: "checkbox", id: "char-knowledge-only" });
  const create = h("button", { type: "submit", id: "create-submit" }, "Create character");
  const progress = h("div", { id: "create-status", class: "stack", "aria-live": "polite" });

  const form = h("form", { class: "card stack", "aria-labelledby": "details-title" },
    h("h2", { id: "details-title" }, "Details"),
    h("div", {}, h("label", { for: "char-name" }, "Name"), name),
    h("div", {}, h("label", { for: "char-template" }, "Personality template"), template),
    h("div", {}, h("label", { for: "char-personality" }, "Personality"), personality,
      h("div", { class: "hint" }, "Pick a template and refine it, or describe the character in your own words.")),
    h("div", {}, h("label", { for: "char-voice" }, "Voice"), h("div", { class: "voice-grid" }, voice, listen), player),
    h("div", {}, h("label", { for: "char-start" }, "Greeting"), greeting),
    h("fieldset", { class: "stack", style: "border:1px solid var(--line);border-radius:12px;padding:14px" },
      h("legend", { class: "small muted" }, "Knowledge (optional)"),
      h("div", {}, h("label", { for: "char-notes" }, "Notes"), notes),
      h("div", {}, h("label", { for: "char-files" }, "Files"), docFiles),
      h("div", {}, h("label", { for: "char-url" }, "Web page"), docUrl),
      h("div", { class: "row" }, knowledgeOnly, h("label", { for: "char-knowledge-only", style: "margin:0" }, "Answer only from this knowledge"))),
    h("div", { class: "row" }, create), progress);

  async function documents() {
    const ids = [];
    if (notes.value.trim()) ids.push((await api("/v1/documents", { method: "POST", body: { name: `${name.value} notes`, content: notes.value } })).id);
    for (const f of docFiles.files) {
      const fd = new FormData();
      fd.append("file", f);
      const r = await fetch("/v1/documents/upload", { method: "POST", body: fd, headers: { Authorization: `Bearer ${auth.key}`, "X-Runway-Version": "2024-11-06" } });
      const d = await r.json();
      if (!r.ok) throw new Error(d.error || `Could not add ${f.name}`);
      ids.push(d.id);
    }
    if (docUrl.value.trim()) ids.push((await api("/v1/documents/upload", { method: "POST", body: { url: docUrl.value.trim() } })).id);
    return ids;
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!state.image) { toast("Upload a portrait first."); drop.focus(); return; }
    const manual = state.analysis && !state.analysis.faceFound;
    if (manual && Object.keys(state.points).length < state.order.length) { toast("Place all the face points first."); portrait.focus(); return; }
    create.disabled = true;
    try {
      progress.replaceChildren(h("span", { class: "badge" }, "Uploading knowledge…"));
      const documentIds = await documents();
      progress.replaceChildren(h("span", { class: "badge" }, "Building the character…"), h("div", { class: "progress" }, h("div", { style: "width:35%" })));
      const body = {
        name: name.value.trim(), personality: personality.value.trim(), referenceImage: state.image,
        voice: { type: "runway-live-preset", presetId: voice.value }, documentIds,
        startScript: greeting.value.trim() || undefined, knowledgeOnly: knowledgeOnly.checked,
      };
      if (manual) body.keypoints = state.points;
      const created = await api("/v1/avatars", { method: "POST", body });
      const done = await poll(`/v1/avatars/${created.id}`, (a) => a.status !== "PROCESSING", { interval: 700 });
      if (done.status === "FAILED") {
        progress.replaceChildren(h("p", { class: "badge bad", role: "alert" }, done.failureReason));
        return;
      }
      progress.replaceChildren(
        h("div", { class: "row" }, h("span", { class: "badge ok", id: "create-ready" }, `${done.name} is ready`), h("span", { class: "spacer" }),
          h("a", { class: "button secondary", href: `#/test/${done.id}`, id: "open-test" }, "Open in test mode")));
      preview?.leave();
      preview = livePanel({ type: "custom", avatarId: done.id }, { title: "Live preview", greet: "Hello! Please introduce yourself." });
      previewSlot.replaceChildren(preview);
      preview.start();
      toast(`${done.name} created`);
    } catch (err) {
      progress.replaceChildren(h("p", { class: "badge bad", role: "alert" }, err.message));
    } finally {
      create.disabled = false;
    }
  });

  const previewSlot = h("section", { class: "stack", id: "preview-slot", "aria-label": "Live preview", style: "margin-top:20px" });
  main.append(
    h("div", { class: "page-head" }, h("div", {}, h("h1", {}, "Create a character"), h("p", {}, "One image, a personality and a voice — then talk to it live."))),
    h("div", { class: "grid split" },
      h("div", { class: "card stack" }, h("h2", {}, "Portrait"), drop, portrait, marker, quality),
      form),
    previewSlot);
}

export function leave() { preview?.leave(); preview = null; }
