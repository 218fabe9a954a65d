// Knowledge for a character: tick documents you already have, or add notes, files and a web
// page (created when the form is saved). ``ids(name)`` creates the new ones and returns them all.
import { api, h, plural, postForm } from "../api.js";

export async function createDocuments({ name, notes, files, url }) {
  const ids = [];
  if (notes?.trim()) ids.push((await api("/v1/documents", { method: "POST", body: { name: `${name} notes`, content: notes } })).id);
  for (const f of files || []) {
    const fd = new FormData();
    fd.append("file", f);
    try { ids.push((await postForm("/v1/documents/upload", fd)).id); } catch (err) { throw new Error(`${f.name}: ${err.message}`); }
  }
  if (url?.trim()) ids.push((await api("/v1/documents/upload", { method: "POST", body: { url: url.trim() } })).id);
  return ids;
}

export async function documentPicker({ selected = [], prefix = "char" } = {}) {
  const docs = await api("/v1/documents?limit=100").then((r) => r.data).catch(() => []);
  const boxes = docs.map((d) => {
    const box = h("input", { type: "checkbox", id: `${prefix}-doc-${d.id}`, value: d.id, checked: selected.includes(d.id) });
    return { box, row: h("li", {}, box, h("label", { for: `${prefix}-doc-${d.id}`, class: "grow", style: "margin:0;font-weight:500" }, d.name,
      h("span", { class: "muted small" }, ` · ${d.type === "file" ? "file" : "text"}`))) };
  });
  const notes = h("textarea", { id: `${prefix}-notes`, placeholder: "Facts the character should know (saved as a document)." });
  const files = h("input", { type: "file", id: `${prefix}-files`, multiple: true, accept: ".txt,.md,.pdf,.docx,.html,.htm" });
  const url = h("input", { type: "url", id: `${prefix}-url`, placeholder: "https://…" });
  const el = h("fieldset", { class: "stack" },
    h("legend", {}, "Knowledge (optional)"),
    docs.length ? h("div", {}, h("h3", {}, `Your documents (${docs.length})`), h("ul", { class: "list", id: `${prefix}-doc-list` }, boxes.map((b) => b.row))) : null,
    h("div", {}, h("label", { for: `${prefix}-notes` }, "New notes"), notes),
    h("div", {}, h("label", { for: `${prefix}-files` }, "Add files"), files, h("div", { class: "hint" }, "Text, Markdown, PDF, Word (.docx) or HTML.")),
    h("div", {}, h("label", { for: `${prefix}-url` }, "Add a web page"), url));
  return {
    el,
    summary: () => plural(boxes.filter((b) => b.box.checked).length, "document"),
    async ids(name) {
      const kept = boxes.filter((b) => b.box.checked).map((b) => b.box.value);
      const added = await createDocuments({ name, notes: notes.value, files: files.files, url: url.value });
      return [...kept, ...added];
    },
  };
}
