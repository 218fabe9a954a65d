// Test mode: talk to a character live, by text or voice: one of yours or a preset.
import { api, h, plural, presets } from "../api.js";
import { livePanel } from "./livepanel.js";

let panel = null;

/** The realtime-session avatar for an id: a preset id or one of the organization's avatars. */
export function avatarRef(value, presetList) {
  return presetList.some((p) => p.id === value) ? { type: "runway-preset", presetId: value } : { type: "custom", avatarId: value };
}

export async function render(main, [selected]) {
  const params = new URLSearchParams(location.search);
  const transport = params.get("transport") || "auto";
  const [avatars, presetList] = await Promise.all([
    api("/v1/avatars?limit=100").then((r) => r.data),
    presets().catch(() => []),
  ]);
  const ready = avatars.filter((a) => a.status === "READY");
  const choice = selected || ready[0]?.id || presetList[0]?.id;
  const select = h("select", { id: "test-avatar" },
    ready.length ? h("optgroup", { label: "My characters" }, ready.map((a) => h("option", { value: a.id, selected: a.id === choice }, a.name))) : null,
    h("optgroup", { label: "Presets" }, presetList.map((p) => h("option", { value: p.id, selected: p.id === choice }, `${p.name} (preset)`))));
  const about = h("p", { class: "muted small", id: "test-about" });
  const slot = h("div");
  const mount = () => {
    panel?.leave();
    const preset = presetList.find((p) => p.id === select.value);
    const mine = ready.find((a) => a.id === select.value);
    about.textContent = preset ? `${preset.description} Preset character · ${preset.voice.name}'s voice.` : mine ? `${mine.voice?.name || "Custom"} voice · ${plural(mine.documentIds.length, "knowledge document")}.` : "";
    panel = livePanel(avatarRef(select.value, presetList), { transport, label: preset?.name || mine?.name || "", poster: preset?.imageUrl || mine?.referenceImageUri || null });
    slot.replaceChildren(panel);
  };
  select.addEventListener("change", () => { history.replaceState(null, "", `#/test/${select.value}`); mount(); });
  main.append(
    h("div", { class: "page-head" },
      h("div", {}, h("h1", {}, "Test mode"), h("p", {}, "Talk to a character live: type, or press Mic and speak.")),
      h("div", { class: "picker" }, h("label", { for: "test-avatar" }, "Character"), select)),
    about, slot);
  mount();
}

export function leave() { panel?.leave(); panel = null; }
