// Keys & credits: the organization's balance and limits, credits used per day and model, and
// its API keys (create one, shown once; revoke others).
import { api, fmtDate, fmtDay, h, toast } from "../api.js";
import { barChart } from "../charts.js";

export async function render(main) {
  const [org, usage, keys, me] = await Promise.all([
    api("/v1/organization"),
    api("/v1/organization/usage", { method: "POST", body: {} }),
    api("/v1/studio/keys").then((r) => r.data),
    api("/v1/studio/me"),
  ]);
  // the last 14 days, oldest first, zero where nothing was used
  const byDay = Object.fromEntries(usage.results.map((r) => [r.date, r.usedCredits.reduce((n, u) => n + u.amount, 0)]));
  const today = new Date();
  const days = [...Array(14)].map((_, i) => {
    const d = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - 13 + i));
    return d.toISOString().slice(0, 10);
  });
  const chart = barChart({ title: "Credits used per day", highlightLast: true, labels: days.map((d, i) => (i === days.length - 1 ? "Today" : fmtDay(d))),
    series: [{ label: "credits", values: days.map((d) => byDay[d] || 0) }], height: 180 });
  const perModel = {};
  for (const r of usage.results) for (const u of r.usedCredits) perModel[u.model] = (perModel[u.model] || 0) + u.amount;
  const models = Object.entries(perModel).sort((a, b) => b[1] - a[1]);
  const limits = Object.values(org.tier.models)[0] || {};

  const list = h("tbody", { id: "key-rows" });
  const draw = (rows) => {
    list.replaceChildren(...rows.map((k) => {
      const revoke = k.current || k.revokedAt ? null : h("button", { type: "button", class: "danger small", "aria-label": `Revoke ${k.prefix}` }, "Revoke");
      revoke?.addEventListener("click", async () => {
        if (!confirm(`Revoke ${k.prefix}…? Programs using it get 401 from now on.`)) return;
        try { await api(`/v1/studio/keys/${k.id}`, { method: "DELETE" }); toast("Key revoked"); draw((await api("/v1/studio/keys")).data); } catch (err) { toast(err.message); }
      });
      return h("tr", {}, h("td", { "data-label": "Key" }, h("code", {}, `${k.prefix}…`), k.current ? h("span", { class: "badge ok", style: "margin-left:6px" }, "this tab") : null),
        h("td", { "data-label": "Name" }, k.name || "—"), h("td", { "data-label": "Created" }, fmtDate(k.createdAt)),
        h("td", { "data-label": "Last used" }, fmtDate(k.lastUsedAt)),
        h("td", { "data-label": "Status" }, k.revokedAt ? h("span", { class: "badge bad" }, "Revoked") : h("span", { class: "badge ok" }, "Active")),
        h("td", {}, revoke));
    }));
  };
  draw(keys);
  const name = h("input", { type: "text", id: "new-key-name", maxlength: 200, placeholder: "e.g. ci, website backend" });
  const shown = h("div", { "aria-live": "polite", id: "new-key" });
  const form = h("form", { class: "stack", "aria-label": "New API key" },
    h("div", { class: "voice-grid" }, h("div", {}, h("label", { for: "new-key-name" }, "Name"), name),
      h("div", { style: "align-self:end" }, h("button", { type: "submit", id: "create-key" }, "Create API key"))), shown);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const k = await api("/v1/studio/keys", { method: "POST", body: { name: name.value.trim() } });
      name.value = "";
      const copy = h("button", { type: "button", class: "secondary small" }, "Copy");
      copy.addEventListener("click", () => navigator.clipboard.writeText(k.key).then(() => toast("Key copied"), () => toast("Select the key and copy it.")));
      shown.replaceChildren(h("div", { class: "secret stack" }, h("b", {}, "Your new key: copy it now, it is not shown again."),
        h("code", { id: "new-key-value", style: "word-break:break-all" }, k.key), h("div", {}, copy)));
      draw((await api("/v1/studio/keys")).data);
    } catch (err) { toast(err.message); }
  });

  main.append(
    h("div", { class: "page-head" }, h("div", {}, h("h1", {}, "Keys & credits"), h("p", {}, `Organization ${me.organization}.`))),
    h("div", { class: "grid cols-3 mb" },
      h("div", { class: "card" }, h("h3", {}, "Credit balance"), h("div", { class: "stat", id: "credit-balance" }, org.creditBalance), h("div", { class: "muted small" }, "1 credit = $0.01 at Runway's prices")),
      h("div", { class: "card" }, h("h3", {}, "Used, last 30 days"), h("div", { class: "stat" }, Object.values(perModel).reduce((a, b) => a + b, 0)), h("div", { class: "muted small" }, models.length ? models.slice(0, 3).map(([m, n]) => `${m} ${n}`).join(" · ") : "nothing yet")),
      h("div", { class: "card" }, h("h3", {}, "Limits"), h("div", { class: "stat" }, limits.maxConcurrentGenerations ?? "—"), h("div", { class: "muted small" }, `at once · ${limits.maxDailyGenerations ?? "—"} a day`))),
    h("div", { class: "grid cols-2 mb", style: "align-items:start" },
      h("section", { class: "card chart", "aria-labelledby": "u1" }, h("h2", { id: "u1" }, "Credits used per day"), chart),
      h("section", { class: "card stack", "aria-labelledby": "u2" }, h("h2", { id: "u2" }, "Adding credits"),
        h("p", {}, "Credits are granted by whoever runs this server, from its command line:"),
        h("pre", { class: "snippet" }, `kinema credits add ${me.organization} 500`),
        h("p", { class: "muted small" }, "Tasks reserve their price when they start; failed or cancelled ones give it back."))),
    h("section", { class: "card stack", "aria-labelledby": "u3" }, h("h2", { id: "u3" }, "API keys"),
      h("p", { class: "muted small" }, "Keys are for servers and scripts (the Runway SDK, curl); never put one in a web page: use a publishable key from Deployments."),
      form, h("div", { class: "table-wrap" }, h("table", { class: "stacked" },
        h("thead", {}, h("tr", {}, h("th", {}, "Key"), h("th", {}, "Name"), h("th", {}, "Created"), h("th", {}, "Last used"), h("th", {}, "Status"), h("th", {}, h("span", { class: "sr-only" }, "Actions")))), list))));
}
