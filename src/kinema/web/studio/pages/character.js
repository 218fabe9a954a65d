// Edit a character: portrait (rebuilds the face), voice, name, personality, greeting, default
// expression, and its knowledge documents (attach, add, remove).
import { api, fmtDate, h, plural, poll, statusBadge, toast } from "../api.js";
import { createDocuments } from "./docpick.js";
import { portraitPicker } from "./portrait.js";
import { voicePicker } from "./voicepick.js";

const EMOTIONS = ["neutral", "happy", "sad", "surprised", "angry", "thinking"];
let timer = null;

export async function render(main, [id]) {
  const [a, docs] = await Promise.all([
    api(`/v1/avatars/${encodeURIComponent(id)}`),
    api("/v1/documents?limit=100").then((r) => r.data).catch(() => []),
  ]);
  const voice = await voicePicker({ id: "edit-voice", current: a.voice });
  const head = h("div", { class: "page-head" },
    h("div", {}, h("div", { class: "crumbs" }, h("a", { href: "#/characters" }, "My characters"), " / ", a.name),
      h("h1", {}, a.name), h("p", {}, `Created ${fmtDate(a.createdAt)} · updated ${fmtDate(a.updatedAt)}`)),
    h("div", { class: "row" }, statusBadge(a.status, "edit-status"),
      a.status === "READY" ? h("a", { class: "button", href: `#/test/${a.id}` }, "Talk") : null,
      a.status === "READY" ? h("a", { class: "button secondary", href: `#/new-video/avatar/${a.id}` }, "Make a video") : null,
      a.status === "READY" ? h("a", { class: "button secondary", href: `#/deployments/${a.id}` }, "Deploy") : null));

  // -- portrait -------------------------------------------------------------------------------
  const current = h("img", { src: a.referenceImageUri, alt: `Current portrait of ${a.name}`, id: "edit-current-portrait", style: "width:100%;max-height:440px;object-fit:contain;border-radius:12px;display:block;background:var(--panel-2)" });
  const picker = portraitPicker({ current: a, onChange: () => { savePortrait.disabled = !picker.chosen; } });
  const savePortrait = h("button", { type: "button", id: "save-portrait", disabled: true }, "Use this portrait");
  const portraitStatus = h("div", { class: "stack", "aria-live": "polite", id: "portrait-status" },
    a.status === "FAILED" ? h("p", { class: "alert" }, a.failureReason) : null,
    a.quality?.warnings?.length ? h("ul", { class: "issues" }, a.quality.warnings.map((w) => h("li", { class: "warning" }, h("b", {}, w.message), h("div", { class: "tip" }, w.tip)))) : null);
  savePortrait.addEventListener("click", async () => {
    const v = picker.value();
    if (v.error) { toast(v.error); return; }
    savePortrait.disabled = true;
    portraitStatus.replaceChildren(h("span", { class: "badge warn" }, "Rebuilding the face…"), h("div", { class: "progress" }, h("div", { style: "width:40%" })));
    try {
      await api(`/v1/avatars/${a.id}`, { method: "PATCH", body: { referenceImage: v.image, keypoints: v.keypoints } });
      const done = await poll(`/v1/avatars/${a.id}`, (x) => x.status !== "PROCESSING", { interval: 700 });
      if (done.status === "READY") { toast("New portrait in use"); window.kinemaStudio.route(); }
      else portraitStatus.replaceChildren(h("p", { class: "alert", role: "alert" }, done.failureReason || "The portrait could not be used."));
    } catch (err) {
      portraitStatus.replaceChildren(h("p", { class: "alert", role: "alert" }, err.message));
      savePortrait.disabled = false;
    }
  });

  // -- details ----------------------------------------------------------------------------------
  const name = h("input", { type: "text", id: "edit-name", value: a.name, maxlength: 200, required: true });
  const personality = h("textarea", { id: "edit-personality", required: true, rows: 6 });
  personality.value = a.personality;
  const greeting = h("input", { type: "text", id: "edit-start", value: a.startScript || "", maxlength: 2000, placeholder: "Empty: the template's own greeting" });
  const emotion = h("select", { id: "edit-emotion" }, EMOTIONS.map((e) => h("option", { value: e, selected: e === a.emotion }, e[0].toUpperCase() + e.slice(1))));
  const knowledgeOnly = h("input", { type: "checkbox", id: "edit-knowledge-only", checked: a.knowledgeOnly });
  const save = h("button", { type: "submit", id: "save-details" }, "Save changes");
  const form = h("form", { class: "card stack", "aria-labelledby": "edit-details" },
    h("h2", { id: "edit-details" }, "Personality and voice"),
    h("div", {}, h("label", { for: "edit-name" }, "Name"), name),
    h("div", {}, h("label", { for: "edit-personality" }, "Personality"), personality),
    voice.el,
    h("div", {}, h("label", { for: "edit-start" }, "Greeting"), greeting),
    h("div", {}, h("label", { for: "edit-emotion" }, "Resting expression"), emotion),
    h("div", { class: "check" }, knowledgeOnly, h("label", { for: "edit-knowledge-only" }, "Answer only from its documents")),
    h("div", { class: "row" }, save));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    save.disabled = true;
    try {
      await api(`/v1/avatars/${a.id}`, { method: "PATCH", body: {
        name: name.value.trim(), personality: personality.value, voice: voice.value(),
        startScript: greeting.value.trim() || null, emotion: emotion.value, knowledgeOnly: knowledgeOnly.checked } });
      toast("Saved");
      window.kinemaStudio.route();
    } catch (err) { toast(err.message); save.disabled = false; }
  });

  // -- documents --------------------------------------------------------------------------------
  let attached = [...a.documentIds];
  const byId = Object.fromEntries(docs.map((d) => [d.id, d]));
  const list = h("ul", { class: "list", id: "edit-docs" });
  const other = h("select", { id: "edit-doc-add" });
  const setDocs = async (ids, message) => {
    await api(`/v1/avatars/${a.id}`, { method: "PATCH", body: { documentIds: ids } });
    attached = ids;
    drawDocs();
    toast(message);
  };
  const drawDocs = () => {
    list.replaceChildren(...attached.map((d) => h("li", {},
      h("span", { class: "grow" }, h("b", {}, byId[d]?.name || d), h("span", { class: "muted small" }, byId[d] ? ` · ${byId[d].type}` : "")),
      h("button", { type: "button", class: "secondary small", "aria-label": `Remove ${byId[d]?.name || d}`, onclick: () => setDocs(attached.filter((x) => x !== d), "Document removed").catch((err) => toast(err.message)) }, "Remove"))));
    if (!attached.length) list.append(h("li", { class: "muted" }, "No documents: the character answers from its personality only."));
    const rest = docs.filter((d) => !attached.includes(d.id));
    other.replaceChildren(...rest.map((d) => h("option", { value: d.id }, d.name)));
    attachRow.hidden = !rest.length;
    docCount.textContent = plural(attached.length, "document");
  };
  const docCount = h("span", { class: "badge" });
  const attach = h("button", { type: "button", class: "secondary", id: "edit-doc-attach" }, "Attach");
  attach.addEventListener("click", () => other.value && setDocs([...attached, other.value], "Document attached").catch((err) => toast(err.message)));
  const attachRow = h("div", {}, h("label", { for: "edit-doc-add" }, "Attach one of your documents"), h("div", { class: "voice-grid" }, other, attach));
  const notes = h("textarea", { id: "edit-notes", placeholder: "Facts to add as a new document" });
  const files = h("input", { type: "file", id: "edit-files", multiple: true, accept: ".txt,.md,.pdf,.docx,.html,.htm" });
  const url = h("input", { type: "url", id: "edit-url", placeholder: "https://…" });
  const add = h("button", { type: "button", id: "edit-doc-new" }, "Add to knowledge");
  add.addEventListener("click", async () => {
    add.disabled = true;
    try {
      const ids = await createDocuments({ name: name.value.trim() || a.name, notes: notes.value, files: files.files, url: url.value });
      if (!ids.length) { toast("Write notes, choose files or give a web page first."); return; }
      for (const d of await Promise.all(ids.map((x) => api(`/v1/documents/${x}`)))) byId[d.id] = d;
      notes.value = ""; files.value = ""; url.value = "";
      await setDocs([...attached, ...ids], `${plural(ids.length, "document")} added`);
    } catch (err) { toast(err.message); } finally { add.disabled = false; }
  });
  const knowledge = h("section", { class: "card stack", "aria-labelledby": "edit-knowledge" },
    h("h2", { id: "edit-knowledge" }, "Knowledge", docCount), list, attachRow,
    h("details", {}, h("summary", {}, "Add new knowledge"), h("div", { class: "stack", style: "margin-top:12px" },
      h("div", {}, h("label", { for: "edit-notes" }, "Notes"), notes),
      h("div", {}, h("label", { for: "edit-files" }, "Files"), files),
      h("div", {}, h("label", { for: "edit-url" }, "Web page"), url), add)),
    h("p", { class: "hint" }, "Manage every document on the ", h("a", { href: "#/documents" }, "Knowledge"), " page."));
  drawDocs();

  const del = h("button", { type: "button", class: "danger", id: "edit-delete" }, "Delete character");
  del.addEventListener("click", async () => {
    if (!confirm(`Delete ${a.name}?`)) return;
    await api(`/v1/avatars/${a.id}`, { method: "DELETE" });
    toast(`${a.name} deleted`);
    location.hash = "#/characters";
  });

  main.append(head,
    h("div", { class: "grid split mb", style: "align-items:start" },
      h("section", { class: "card stack", "aria-labelledby": "edit-portrait" }, h("h2", { id: "edit-portrait" }, "Portrait"),
        current, portraitStatus, h("details", { id: "replace-portrait" }, h("summary", {}, "Replace the portrait"),
          h("div", { class: "stack", style: "margin-top:12px" }, picker.el, savePortrait))),
      form),
    h("div", { class: "grid cols-2", style: "align-items:start" }, knowledge,
      h("section", { class: "card stack", "aria-labelledby": "edit-danger" }, h("h2", { id: "edit-danger" }, "Delete"),
        h("p", { class: "muted" }, "Deleting removes the character and its publishable keys stop working. Past conversations stay in Deployments."), del)));
  if (a.status === "PROCESSING") timer = setTimeout(() => window.kinemaStudio.route(), 2000);
}

export function leave() { clearTimeout(timer); }
