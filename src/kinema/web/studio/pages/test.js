// Test mode: talk to a character live, by text or voice.
import { api, h } from "../api.js";
import { livePanel } from "./livepanel.js";

export const PRESETS = {
  "game-character": "Nova (preset)", "music-superstar": "Stella (preset)", "game-character-man": "Rex (preset)",
  "cat-character": "Whiskers (preset)", influencer: "Skye (preset)", "tennis-coach": "Coach Max (preset)",
  "human-resource": "Morgan (preset)", "fashion-designer": "Clara (preset)", "cooking-teacher": "Chef Emma (preset)",
};
let panel = null;

export function avatarRef(value) {
  return PRESETS[value] ? { type: "runway-preset", presetId: value } : { type: "custom", avatarId: value };
}

export async function render(main, [selected]) {
  const params = new URLSearchParams(location.search);
  const transport = params.get("transport") || "auto";
  const avatars = await api("/v1/avatars?limit=100").then((r) => r.data).catch(() => []);
  const ready = avatars.filter((a) => a.status === "READY");
  const choice = selected || ready[0]?.id || "game-character";
  const select = h("select", { id: "test-avatar" },
    ready.length ? h("optgroup", { label: "My characters" }, ready.map((a) => h("option", { value: a.id, selected: a.id === choice }, a.name))) : null,
    h("optgroup", { label: "Presets" }, Object.entries(PRESETS).map(([id, name]) => h("option", { value: id, selected: id === choice }, name))));
  const slot = h("div");
  const mount = () => {
    panel?.leave();
    panel = livePanel(avatarRef(select.value), { transport });
    slot.replaceChildren(panel);
  };
  select.addEventListener("change", () => { history.replaceState(null, "", `#/test/${select.value}`); mount(); });
  main.append(
    h("div", { class: "page-head" },
      h("div", {}, h("h1", {}, "Test mode"), h("p", {}, "Talk to a character live — type, or press Mic and speak.")),
      h("div", { style: "min-width:260px" }, h("label", { for: "test-avatar" }, "Character"), select)),
    slot);
  mount();
}

export function leave() { panel?.leave(); panel = null; }
