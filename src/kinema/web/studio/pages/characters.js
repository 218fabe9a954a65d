// My Characters: every avatar with its status, voice and quick actions.
import { api, fmtDate, h, toast } from "../api.js";
import { icons } from "../icons.js";

const STATUS = { READY: "ok", PROCESSING: "warn", FAILED: "bad" };

export async function render(main) {
  const list = h("div", { class: "chars", id: "char-list" });
  main.append(
    h("div", { class: "page-head" },
      h("div", {}, h("h1", {}, "My characters"), h("p", {}, "Everyone you have brought to life.")),
      h("a", { class: "button", href: "#/create", html: `${icons.plus} New character` })),
    list);
  const { data } = await api("/v1/avatars?limit=100");
  if (!data.length) {
    list.replaceWith(h("div", { class: "card empty" }, h("h2", {}, "No characters yet"),
      h("p", {}, "Create one from a single portrait, or try a preset in test mode."),
      h("div", { class: "row", style: "justify-content:center" },
        h("a", { class: "button", href: "#/create" }, "Create a character"),
        h("a", { class: "button secondary", href: "#/test/game-character" }, "Try a preset"))));
    return;
  }
  for (const a of data) {
    const del = h("button", { type: "button", class: "link danger-link", "aria-label": `Delete ${a.name}` }, "Delete");
    del.addEventListener("click", async () => {
      if (!confirm(`Delete ${a.name}?`)) return;
      await api(`/v1/avatars/${a.id}`, { method: "DELETE" });
      card.remove();
      toast(`${a.name} deleted`);
    });
    const card = h("article", { class: "card char", "aria-label": a.name },
      h("div", { class: "thumb" }, a.referenceImageUri ? h("img", { src: a.referenceImageUri, alt: "", loading: "lazy" }) : null),
      h("div", { class: "body" },
        h("div", { class: "row" }, h("span", { class: "name" }, a.name), h("span", { class: "spacer" }),
          h("span", { class: `badge ${STATUS[a.status] || ""}` }, a.status)),
        h("div", { class: "muted small" }, `${a.voice?.name || "Custom voice"} · ${a.documentIds.length} document${a.documentIds.length === 1 ? "" : "s"}`),
        a.failureReason ? h("div", { class: "small", style: "color:var(--bad)" }, a.failureReason) : null,
        h("div", { class: "muted small" }, `Created ${fmtDate(a.createdAt)}`),
        h("div", { class: "row" },
          a.status === "READY" ? h("a", { class: "button", href: `#/test/${a.id}` }, "Talk") : null,
          a.status === "READY" ? h("a", { class: "button secondary", href: `#/deployments/${a.id}` }, "Deploy") : null,
          h("span", { class: "spacer" }), del)));
    list.append(card);
  }
}
