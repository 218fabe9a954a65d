// Knowledge: every document of the organization (which characters use it), its text, and
// adding (notes, files, a web page) or deleting documents.
import { api, fmtDate, h, plural, toast } from "../api.js";
import { createDocuments } from "./docpick.js";

export async function render(main) {
  const { data } = await api("/v1/documents?limit=100");
  const list = h("ul", { class: "list", id: "doc-list" });
  const draw = (docs) => {
    list.replaceChildren(...docs.map((d) => {
      const view = h("details", { class: "grow" }, h("summary", {}, h("b", { style: "color:var(--text)" }, d.name),
        h("span", {}, ` · ${d.type === "file" ? "file" : "text"} · ${fmtDate(d.createdAt)} · ${d.usedBy.length ? `used by ${d.usedBy.map((a) => a.name).join(", ")}` : "not used by any character"}`)));
      view.addEventListener("toggle", async () => {
        if (!view.open || view.querySelector("pre")) return;
        const full = await api(`/v1/documents/${d.id}`).catch((err) => ({ content: err.message }));
        view.append(h("pre", { class: "snippet small", style: "max-height:260px;margin-top:8px" }, full.content || "(empty)"),
          full.source ? h("div", { class: "hint" }, `Source: ${full.source}`) : null);
      });
      const del = h("button", { type: "button", class: "danger small", "aria-label": `Delete ${d.name}` }, "Delete");
      del.addEventListener("click", async () => {
        const users = d.usedBy.length ? ` It is used by ${d.usedBy.map((a) => a.name).join(", ")}.` : "";
        if (!confirm(`Delete “${d.name}”?${users}`)) return;
        try {
          await api(`/v1/documents/${d.id}`, { method: "DELETE" });
          toast("Document deleted");
          draw(docs.filter((x) => x !== d));
        } catch (err) { toast(err.message); }
      });
      return h("li", { "data-doc": d.id }, view, del);
    }));
    if (!docs.length) list.append(h("li", { class: "muted" }, "No documents yet. Add notes, a file or a web page: characters quote them, with sources."));
    count.textContent = plural(docs.length, "document");
  };
  const count = h("span", { class: "badge", id: "doc-count" });

  const name = h("input", { type: "text", id: "doc-name", maxlength: 200, placeholder: "e.g. Returns policy" });
  const content = h("textarea", { id: "doc-content", rows: 6, placeholder: "# Returns\n\nWithin 45 days…" });
  const files = h("input", { type: "file", id: "doc-files", multiple: true, accept: ".txt,.md,.pdf,.docx,.html,.htm" });
  const url = h("input", { type: "url", id: "doc-url", placeholder: "https://…" });
  const add = h("button", { type: "submit", id: "doc-add" }, "Add to knowledge");
  const form = h("form", { class: "card stack", "aria-labelledby": "doc-new" },
    h("h2", { id: "doc-new" }, "Add knowledge"),
    h("div", {}, h("label", { for: "doc-name" }, "Title (for text)"), name),
    h("div", {}, h("label", { for: "doc-content" }, "Text or Markdown"), content),
    h("div", {}, h("label", { for: "doc-files" }, "Or files"), files, h("div", { class: "hint" }, "Text, Markdown, PDF, Word (.docx) or HTML; one document each.")),
    h("div", {}, h("label", { for: "doc-url" }, "Or a web page"), url),
    h("div", { class: "row" }, add));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    add.disabled = true;
    try {
      const ids = [];
      if (content.value.trim()) ids.push((await api("/v1/documents", { method: "POST", body: { name: name.value.trim() || "Notes", content: content.value } })).id);
      ids.push(...(await createDocuments({ files: files.files, url: url.value })));
      if (!ids.length) { toast("Write some text, choose files or give a web page."); return; }
      toast(`${plural(ids.length, "document")} added`);
      form.reset();
      draw((await api("/v1/documents?limit=100")).data);
    } catch (err) { toast(err.message); } finally { add.disabled = false; }
  });

  main.append(
    h("div", { class: "page-head" }, h("div", {}, h("h1", {}, "Knowledge"),
      h("p", {}, "Documents your characters answer from. Attach them to a character on its page."))),
    h("div", { class: "grid split", style: "align-items:start" },
      h("section", { class: "card stack", "aria-labelledby": "doc-title" }, h("h2", { id: "doc-title" }, "Documents", count), list),
      form));
  draw(data);
}
