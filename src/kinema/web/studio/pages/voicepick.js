// A voice chooser: Runway's live presets and the organization's own voices, with a preview.
import { api, h, toast } from "../api.js";

export async function voicePicker({ id = "char-voice", current = null } = {}) {
  const [presets, mine] = await Promise.all([
    api("/v1/voices/presets").then((r) => r.data).catch(() => []),
    api("/v1/voices?limit=100").then((r) => r.data.filter((v) => v.status === "READY")).catch(() => []),
  ]);
  const chosen = current?.type === "custom" ? `custom:${current.id}` : current?.presetId || "";
  const select = h("select", { id },
    h("optgroup", { label: "Presets" }, presets.map((v) => h("option", { value: v.presetId, selected: v.presetId === chosen }, `${v.name}: ${v.description}`))),
    mine.length ? h("optgroup", { label: "My voices" }, mine.map((v) => h("option", { value: `custom:${v.id}`, selected: `custom:${v.id}` === chosen }, `${v.name}${v.description ? `: ${v.description}` : ""}`))) : null);
  const player = h("audio", { id: `${id}-audio`, controls: true, hidden: true });
  const listen = h("button", { type: "button", class: "secondary", id: `${id}-preview`, "aria-label": "Preview this voice" }, "▶ Preview");
  listen.addEventListener("click", async () => {
    listen.disabled = true;
    try {
      let src;
      if (select.value.startsWith("custom:")) {
        const v = mine.find((x) => `custom:${x.id}` === select.value);
        src = v?.previewUrl;
        if (!src) throw new Error("This voice has no preview.");
      } else {
        const res = await api(`/v1/studio/voice_preview/${encodeURIComponent(select.value)}`, { raw: true });
        if (!res.ok) throw new Error("The preview could not be made.");
        src = URL.createObjectURL(await res.blob());
      }
      player.src = src;
      player.hidden = false;
      await player.play().catch(() => {});
    } catch (err) { toast(err.message); } finally { listen.disabled = false; }
  });
  return {
    el: h("div", {}, h("label", { for: id }, "Voice"), h("div", { class: "voice-grid" }, select, listen), player,
      h("div", { class: "hint" }, "Presets, or a voice you designed on the ", h("a", { href: "#/voices" }, "Voices"), " page.")),
    select,
    value() {
      const v = select.value;
      return v.startsWith("custom:") ? { type: "custom", id: v.slice(7) } : { type: "runway-live-preset", presetId: v };
    },
  };
}
