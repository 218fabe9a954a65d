// Voices: the live presets (with a preview each), your own voices, and making one: designed
// from a description, or matched to a recorded sample (with the speaker's consent).
import { api, fmtDate, h, toast, upload } from "../api.js";

export async function render(main) {
  const [presetVoices, mine] = await Promise.all([
    api("/v1/voices/presets").then((r) => r.data),
    api("/v1/voices?limit=100").then((r) => r.data),
  ]);
  const player = h("audio", { controls: true, id: "voice-player", hidden: true });
  const play = async (src) => { player.src = src; player.hidden = false; await player.play().catch(() => {}); };
  const presetList = h("ul", { class: "list", id: "preset-voices", style: "max-height:420px;overflow:auto" }, presetVoices.map((v) => {
    const b = h("button", { type: "button", class: "secondary small", "aria-label": `Preview ${v.name}` }, "▶");
    b.addEventListener("click", async () => {
      b.disabled = true;
      try {
        const res = await api(`/v1/studio/voice_preview/${v.presetId}`, { raw: true });
        if (!res.ok) throw new Error("The preview could not be made.");
        await play(URL.createObjectURL(await res.blob()));
      } catch (err) { toast(err.message); } finally { b.disabled = false; }
    });
    return h("li", {}, b, h("span", { class: "grow" }, h("b", {}, v.name), h("span", { class: "muted small" }, ` · ${v.description}`)), h("span", { class: "badge" }, v.engine));
  }));

  const myList = h("ul", { class: "list", id: "my-voices" });
  const drawMine = (list) => {
    myList.replaceChildren(...list.map((v) => h("li", {},
      v.previewUrl ? h("button", { type: "button", class: "secondary small", "aria-label": `Preview ${v.name}`, onclick: () => play(v.previewUrl) }, "▶") : null,
      h("span", { class: "grow" }, h("b", {}, v.name), h("span", { class: "muted small" }, ` · ${v.source === "audio" ? "matched to a sample" : "designed"} · ${fmtDate(v.createdAt)}${v.description ? ` · ${v.description}` : ""}`)),
      h("button", { type: "button", class: "danger small", "aria-label": `Delete ${v.name}`, onclick: async () => {
        if (!confirm(`Delete the voice ${v.name}? Characters using it keep its sound.`)) return;
        await api(`/v1/voices/${v.id}`, { method: "DELETE" }).catch((err) => toast(err.message));
        drawMine(list.filter((x) => x !== v));
      } }, "Delete"))));
    if (!list.length) myList.append(h("li", { class: "muted" }, "None yet: design one below."));
  };
  drawMine(mine);

  // design from words
  const dName = h("input", { type: "text", id: "design-name", maxlength: 200, placeholder: "e.g. Captain" });
  const dPrompt = h("textarea", { id: "design-prompt", rows: 3, placeholder: "deep, slow, older man, British" });
  const dPreview = h("button", { type: "button", class: "secondary", id: "design-preview" }, "▶ Preview");
  const dCreate = h("button", { type: "submit", id: "design-create" }, "Save voice");
  dPreview.addEventListener("click", async () => {
    if (!dPrompt.value.trim()) { toast("Describe the voice first."); return; }
    dPreview.disabled = true;
    try { await play((await api("/v1/voices/preview", { method: "POST", body: { prompt: dPrompt.value.trim() } })).url); } catch (err) { toast(err.message); } finally { dPreview.disabled = false; }
  });
  const design = h("form", { class: "card stack", "aria-labelledby": "v-design" }, h("h2", { id: "v-design" }, "Design a voice from words"),
    h("div", {}, h("label", { for: "design-name" }, "Name"), dName),
    h("div", {}, h("label", { for: "design-prompt" }, "Description"), dPrompt, h("div", { class: "hint" }, "Pitch, pace, age, gender, accent, mood: the nearest voice is tuned to match.")),
    h("div", { class: "row" }, dPreview, dCreate));
  design.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const v = await api("/v1/voices", { method: "POST", body: { name: dName.value.trim() || "My voice", description: dPrompt.value.trim(), from: { type: "text", prompt: dPrompt.value.trim() } } });
      toast(`${v.name} saved`); design.reset(); mine.unshift(v); drawMine(mine);
    } catch (err) { toast(err.message); }
  });

  // match a sample
  const mName = h("input", { type: "text", id: "match-name", maxlength: 200 });
  const mFile = h("input", { type: "file", id: "match-file", accept: "audio/*,.wav,.mp3,.ogg,.webm" });
  const mConsent = h("input", { type: "checkbox", id: "match-consent" });
  const mBy = h("input", { type: "text", id: "match-by", placeholder: "Your name" });
  const match = h("form", { class: "card stack", "aria-labelledby": "v-match" }, h("h2", { id: "v-match" }, "Match a recorded voice"),
    h("p", { class: "muted small" }, "Kinema picks and tunes the preset nearest to the sample's pitch, pace and brightness. It does not clone the voice."),
    h("div", {}, h("label", { for: "match-name" }, "Name"), mName),
    h("div", {}, h("label", { for: "match-file" }, "Sample (5–60 s of one person speaking)"), mFile),
    h("div", { class: "check" }, mConsent, h("label", { for: "match-consent" }, "The person speaking agreed to have their voice matched")),
    h("div", {}, h("label", { for: "match-by" }, "Confirmed by"), mBy),
    h("div", { class: "row" }, h("button", { type: "submit", id: "match-create" }, "Match and save")));
  match.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!mFile.files[0]) { toast("Choose a recording."); return; }
    try {
      const uri = await upload(mFile.files[0]);
      const v = await api("/v1/voices", { method: "POST", body: { name: mName.value.trim() || "Matched voice", from: { type: "audio", audio: uri },
        consent: { confirmed: mConsent.checked, statement: "The speaker agreed to have their voice matched.", by: mBy.value.trim() } } });
      toast(`${v.name} saved`); match.reset(); mine.unshift(v); drawMine(mine);
    } catch (err) { toast(err.message); }
  });

  main.append(
    h("div", { class: "page-head" }, h("div", {}, h("h1", {}, "Voices"), h("p", {}, "Give characters a voice; turn text into speech.")),
      h("a", { class: "button secondary", href: "#/new-video/speech", id: "tts-link" }, "Text to speech")),
    h("div", { class: "grid split", style: "align-items:start" },
      h("section", { class: "card stack", "aria-labelledby": "v-presets" }, h("h2", { id: "v-presets" }, `Preset voices (${presetVoices.length})`), player, presetList),
      h("div", { class: "stack" },
        h("section", { class: "card stack", "aria-labelledby": "v-mine" }, h("h2", { id: "v-mine" }, "My voices"), myList),
        design, match)));
}
