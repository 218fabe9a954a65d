// My Characters: every avatar with its status, voice and actions, then the preset characters
// (talk to one, or copy it into your own characters to change it).
import { api, fmtDate, h, plural, presets, statusBadge, toast } from "../api.js";
import { icons } from "../icons.js";

let timer = null;

function card(a, onDelete) {
  const del = h("button", { type: "button", class: "link danger-link", "aria-label": `Delete ${a.name}` }, "Delete");
  const el = h("article", { class: "card char", "aria-label": a.name },
    h("div", { class: "thumb" }, a.referenceImageUri ? h("img", { src: a.referenceImageUri, alt: `Portrait of ${a.name}`, loading: "lazy" }) : "No image"),
    h("div", { class: "body" },
      h("div", { class: "row" }, h("span", { class: "name" }, a.name), h("span", { class: "spacer" }), statusBadge(a.status)),
      h("div", { class: "muted small" }, `${a.voice?.name || "Custom voice"} · ${plural(a.documentIds.length, "document")}`),
      a.failureReason ? h("div", { class: "small", style: "color:var(--bad)" }, a.failureReason) : null,
      h("div", { class: "muted small" }, `Created ${fmtDate(a.createdAt)}`),
      h("div", { class: "row" },
        a.status === "READY" ? h("a", { class: "button small", href: `#/test/${a.id}` }, "Talk") : null,
        h("a", { class: "button secondary small", href: `#/characters/${a.id}`, "aria-label": `Edit ${a.name}` }, "Edit"),
        a.status === "READY" ? h("a", { class: "button secondary small", href: `#/deployments/${a.id}` }, "Deploy") : null,
        h("span", { class: "spacer" }), del)));
  del.addEventListener("click", async () => {
    if (!confirm(`Delete ${a.name}? Its conversations stay in Deployments.`)) return;
    try {
      await api(`/v1/avatars/${a.id}`, { method: "DELETE" });
      el.remove();
      toast(`${a.name} deleted`);
      onDelete();
    } catch (err) { toast(err.message); }
  });
  return el;
}

function presetCard(p) {
  const adopt = h("button", { type: "button", class: "secondary small", "aria-label": `Copy ${p.name} into my characters` }, "Make it mine");
  adopt.addEventListener("click", async () => {
    adopt.disabled = true;
    try {
      const a = await api(`/v1/studio/presets/${p.id}/adopt`, { method: "POST" });
      toast(`${p.name} copied into your characters`);
      location.hash = `#/characters/${a.id}`;
    } catch (err) { toast(err.message); adopt.disabled = false; }
  });
  return h("article", { class: "card char", "aria-label": `${p.name} (preset)` },
    h("div", { class: "thumb" }, h("img", { src: p.imageUrl, alt: `${p.name}, a ${p.art === "photo" ? "photograph" : "drawn character"}`, loading: "lazy" })),
    h("div", { class: "body" },
      h("div", { class: "row" }, h("span", { class: "name" }, p.name), h("span", { class: "spacer" }), h("span", { class: "badge" }, p.art === "photo" ? "Photo" : "Drawing")),
      h("div", { class: "small" }, p.description),
      h("div", { class: "muted small" }, `${p.templateTitle} · ${p.voice.name}'s voice`),
      h("div", { class: "credit" }, p.credit),
      h("div", { class: "row" }, h("a", { class: "button small", href: `#/test/${p.id}` }, "Talk"), adopt)));
}

export async function render(main) {
  const list = h("div", { class: "chars", id: "char-list" });
  const [{ data }, presetList] = await Promise.all([api("/v1/avatars?limit=100"), presets().catch(() => [])]);
  main.append(
    h("div", { class: "page-head" },
      h("div", {}, h("h1", {}, "My characters"), h("p", {}, "Everyone you have brought to life.")),
      h("a", { class: "button", href: "#/create", html: `${icons.plus} New character` })),
    list);
  const empty = () => h("div", { class: "card empty", style: "grid-column:1/-1" }, h("h2", {}, "No characters yet"),
    h("p", {}, "Create one from a single portrait, or start from a preset below."),
    h("div", { class: "row", style: "justify-content:center" }, h("a", { class: "button", href: "#/create" }, "Create a character")));
  if (!data.length) list.append(empty());
  for (const a of data) list.append(card(a, () => { if (!list.querySelector(".char")) list.append(empty()); }));
  if (presetList.length) {
    main.append(h("section", { "aria-labelledby": "presets-title", style: "margin-top:36px" },
      h("div", { class: "page-head" }, h("div", {}, h("h2", { id: "presets-title", style: "font-size:20px;margin:0" }, "Preset characters"),
        h("p", {}, "Ready to talk, deploy and put in videos. “Make it mine” copies one into your characters so you can change it."))),
      h("div", { class: "chars", id: "preset-list" }, presetList.map(presetCard))));
  }
  // characters still being built refresh themselves
  if (data.some((a) => a.status === "PROCESSING")) {
    timer = setTimeout(async () => { if (location.hash.startsWith("#/characters") || !location.hash) window.kinemaStudio.route(); }, 2500);
  }
}

export function leave() { clearTimeout(timer); }
