// New video: one form per kind of generation the API offers, each posting the Runway-shaped
// request; the task then shows on the Videos page with its progress.
//   text → video, image → video, text → image, storyboard (multi-shot), character video
//   (avatar_videos), speech (text_to_speech), upscale (image or video), restyle (video_to_video)
import { api, h, presets, readFile, refreshAccount, toast, upload } from "../api.js";

const MODES = [
  ["text", "Text → video"], ["image", "Image → video"], ["still", "Text → image"], ["story", "Storyboard"],
  ["avatar", "Character video"], ["speech", "Speech"], ["upscale", "Upscale"], ["restyle", "Restyle a video"],
];
const VIDEO_RATIOS = ["1280:720", "720:1280", "960:960", "1104:832", "832:1104", "1584:672"];
const IMAGE_RATIOS = ["1920:1080", "1080:1920", "1024:1024", "1360:768", "1440:1080", "1080:1440", "1280:720", "720:720"];

const field = (id, label, control, hint) => h("div", {}, h("label", { for: id }, label), control, hint ? h("div", { class: "hint" }, hint) : null);
const select = (id, options, value) => h("select", { id }, options.map(([v, t]) => h("option", { value: v, selected: v === value }, t ?? v)));
const pairs = (list) => list.map((v) => [v, v]);
const text = (id, placeholder, rows = 3) => h("textarea", { id, rows, placeholder, maxlength: 1000 });
const fileInput = (id, accept) => h("input", { type: "file", id, accept });

async function characterOptions() {
  const [mine, pre] = await Promise.all([
    api("/v1/avatars?limit=100").then((r) => r.data.filter((a) => a.status === "READY")).catch(() => []),
    presets().catch(() => []),
  ]);
  return { mine, pre };
}

async function imageUri(input, chooser) {
  if (input.files[0]) return readFile(input.files[0]);
  if (chooser?.value) return chooser.value;
  throw new Error("Choose an image file or one of your characters.");
}

export async function render(main, [mode = "text", arg]) {
  if (!MODES.some(([m]) => m === mode)) mode = "text";
  const { mine, pre } = await characterOptions();
  const tabs = h("div", { class: "segmented", role: "tablist", "aria-label": "Kind of video" },
    MODES.map(([m, label]) => h("button", { type: "button", role: "tab", "aria-selected": String(m === mode), id: `tab-${m}`,
      onclick: () => { location.hash = `#/new-video/${m}`; } }, label)));
  const status = h("div", { "aria-live": "polite", id: "new-status" });
  const submit = h("button", { type: "submit", id: "new-submit" }, "Generate");
  const cost = h("span", { class: "muted small", id: "new-cost" });
  const form = h("form", { class: "card stack", id: "new-form", "aria-labelledby": `tab-${mode}` });
  let build; // returns [path, body]

  const charSelect = (id, withPresets = true) => h("select", { id },
    h("option", { value: "" }, "None"),
    mine.length ? h("optgroup", { label: "My characters" }, mine.map((a) => h("option", { value: `kinema://avatars/${a.id}` }, a.name))) : null,
    withPresets && pre.length ? h("optgroup", { label: "Presets" }, pre.map((p) => h("option", { value: `kinema://presets/${p.id}` }, p.name))) : null);

  if (mode === "text") {
    const prompt = text("nv-prompt", "a lighthouse at dusk, waves, slow push in");
    const model = select("nv-model", [["gen4.5", "gen4.5 (quality)"], ["gen4", "gen4"]], "gen4.5");
    const ratio = select("nv-ratio", pairs(["1280:720", "720:1280"]));
    const duration = h("input", { type: "number", id: "nv-duration", min: 2, max: 10, value: 5 });
    form.append(field("nv-prompt", "Prompt", prompt, "Name the light, the time of day, the place and a camera move; the Videos page says which words were used."),
      h("div", { class: "grid cols-3" }, field("nv-model", "Model", model), field("nv-ratio", "Ratio", ratio), field("nv-duration", "Seconds", duration)));
    build = async () => ["/v1/text_to_video", { model: model.value, promptText: prompt.value.trim(), ratio: ratio.value, duration: Number(duration.value) }];
  } else if (mode === "image") {
    const file = fileInput("nv-image", "image/png,image/jpeg,image/webp");
    const chooser = charSelect("nv-character");
    if (arg) chooser.value = `kinema://avatars/${arg}`;
    const prompt = text("nv-prompt", "a slow push-in, rain");
    const model = select("nv-model", [["gen4_turbo", "gen4_turbo (fast)"], ["gen4.5", "gen4.5 (quality)"], ["gen4", "gen4"]]);
    const ratio = select("nv-ratio", pairs(VIDEO_RATIOS), "960:960");
    const duration = h("input", { type: "number", id: "nv-duration", min: 2, max: 10, value: 5 });
    form.append(field("nv-image", "Image", file), field("nv-character", "…or a character's portrait", chooser),
      field("nv-prompt", "Prompt", prompt),
      h("div", { class: "grid cols-3" }, field("nv-model", "Model", model), field("nv-ratio", "Ratio", ratio), field("nv-duration", "Seconds", duration)));
    build = async () => ["/v1/image_to_video", { model: model.value, promptImage: await imageUri(file, chooser), promptText: prompt.value.trim() || undefined, ratio: ratio.value, duration: Number(duration.value) }];
  } else if (mode === "still") {
    const prompt = text("nv-prompt", "@hero standing on a cliff at sunset, wide shot");
    const model = select("nv-model", [["gen4_image", "gen4_image"], ["gen4_image_turbo", "gen4_image_turbo (needs a reference)"]]);
    const ratio = select("nv-ratio", pairs(IMAGE_RATIOS), "1360:768");
    const ref = charSelect("nv-ref");
    const tag = h("input", { type: "text", id: "nv-tag", value: "hero", pattern: "[A-Za-z][A-Za-z0-9_]{2,15}" });
    form.append(field("nv-prompt", "Prompt", prompt), h("div", { class: "grid cols-2" }, field("nv-model", "Model", model), field("nv-ratio", "Ratio", ratio)),
      h("div", { class: "grid cols-2" }, field("nv-ref", "Reference character (optional)", ref), field("nv-tag", "Its @tag in the prompt", tag)));
    build = async () => ["/v1/text_to_image", { model: model.value, promptText: prompt.value.trim(), ratio: ratio.value,
      referenceImages: ref.value ? [{ uri: ref.value, tag: tag.value.trim() }] : undefined }];
  } else if (mode === "story") {
    const story = text("nv-story", "A fox wakes in a snowy forest. It follows tracks to a frozen lake. The sun rises over the ice.", 4);
    const duration = select("nv-duration", [["5", "5 s"], ["10", "10 s"], ["15", "15 s"]], "5");
    const ratio = select("nv-ratio", pairs(["1280:720", "720:1280", "960:960"]));
    const custom = h("input", { type: "checkbox", id: "nv-custom" });
    const shots = h("div", { class: "stack", id: "nv-shots", hidden: true }, [1, 2, 3].map((n) =>
      h("div", { class: "voice-grid" }, h("div", {}, h("label", { for: `nv-shot-${n}` }, `Shot ${n}`), h("input", { type: "text", id: `nv-shot-${n}`, placeholder: n === 1 ? "wide shot, a fox in the snow" : "" })),
        h("div", {}, h("label", { for: `nv-shot-${n}-s` }, "Seconds"), h("input", { type: "number", id: `nv-shot-${n}-s`, min: 1, max: 13, value: n === 1 ? 1 : 2, style: "width:90px" })))));
    custom.addEventListener("change", () => { shots.hidden = !custom.checked; story.closest("div").hidden = custom.checked; });
    form.append(field("nv-story", "Story", story, "Auto mode cuts it into five shots with different framings."),
      h("div", { class: "check" }, custom, h("label", { for: "nv-custom" }, "Write the shots myself (3 shots; their seconds must add up to the length)")), shots,
      h("div", { class: "grid cols-2" }, field("nv-duration", "Length", duration), field("nv-ratio", "Ratio", ratio)));
    build = async () => {
      const body = { version: "2026-06", duration: Number(duration.value), ratio: ratio.value };
      if (!custom.checked) return ["/v1/recipes/multi_shot_video", { ...body, mode: "auto", prompt: story.value.trim() }];
      const list = [1, 2, 3].map((n) => ({ prompt: document.getElementById(`nv-shot-${n}`).value.trim(), duration: Number(document.getElementById(`nv-shot-${n}-s`).value) }));
      return ["/v1/recipes/multi_shot_video", { ...body, mode: "custom", shots: list }];
    };
  } else if (mode === "avatar") {
    const who = h("select", { id: "nv-avatar" },
      mine.length ? h("optgroup", { label: "My characters" }, mine.map((a) => h("option", { value: `custom:${a.id}`, selected: a.id === arg }, a.name))) : null,
      h("optgroup", { label: "Presets" }, pre.map((p) => h("option", { value: `preset:${p.id}`, selected: p.id === arg }, p.name))));
    const words = text("nv-speech", "Welcome to the shop! Ask me about returns.", 3);
    const size = select("nv-size", [["256", "256 px"], ["512", "512 px"], ["768", "768 px"]], "512");
    form.append(field("nv-avatar", "Character", who), field("nv-speech", "What they say", words, "Spoken in the character's own voice, lips in sync; 1 credit per second."), field("nv-size", "Size", size));
    build = async () => {
      const [kind, id] = who.value.split(/:(.*)/s);
      const avatar = kind === "preset" ? { type: "runway-preset", presetId: id } : { type: "custom", avatarId: id };
      return ["/v1/avatar_videos", { model: "gwm1_avatars", avatar, speech: { type: "text", text: words.value.trim() }, size: Number(size.value) }];
    };
  } else if (mode === "speech") {
    const voices = await api("/v1/studio/tts_voices").then((r) => r.data).catch(() => []);
    const words = h("textarea", { id: "nv-speech", rows: 4, maxlength: 1000, placeholder: "Hello! This is a test of text to speech." });
    const voice = select("nv-voice", voices.map((v) => [v.presetId, `${v.name} (${v.kinemaVoice})`]), "Maya");
    form.append(field("nv-speech", "Text", words), field("nv-voice", "Voice", voice, "A WAV file; it appears on the Videos page with a player."));
    build = async () => ["/v1/text_to_speech", { model: "eleven_multilingual_v2", promptText: words.value.trim(), voice: { type: "runway-preset", presetId: voice.value } }];
  } else if (mode === "upscale") {
    const file = fileInput("nv-file", "image/png,image/jpeg,image/webp,video/mp4,video/quicktime,video/webm");
    const scale = select("nv-scale", [["2", "2×"], ["4", "4×"]]);
    const res = select("nv-resolution", [["720p", "720p"], ["1080p", "1080p"], ["2k", "2K"], ["4k", "4K"]], "1080p");
    form.append(field("nv-file", "Image or video", file), h("div", { class: "grid cols-2" }, field("nv-scale", "Image scale", scale), field("nv-resolution", "Video resolution", res)));
    build = async () => {
      const f = file.files[0];
      if (!f) throw new Error("Choose an image or a video.");
      if (f.type.startsWith("image/")) return ["/v1/image_upscale", { model: "magnific_precision_upscaler_v2", imageUri: await readFile(f), scaleFactor: Number(scale.value) }];
      return ["/v1/video_upscale", { model: "magnific_video_upscaler_creative", videoUri: await upload(f), resolution: res.value }];
    };
  } else if (mode === "restyle") {
    const file = fileInput("nv-video", "video/mp4,video/quicktime,video/webm");
    const prompt = text("nv-prompt", "night, snow, neon signs");
    form.append(field("nv-video", "Video (up to 30 s are edited)", file), field("nv-prompt", "New look", prompt));
    build = async () => {
      if (!file.files[0]) throw new Error("Choose a video.");
      return ["/v1/video_to_video", { model: "gen4_aleph", videoUri: await upload(file.files[0]), promptText: prompt.value.trim() }];
    };
  }
  form.append(h("div", { class: "row" }, submit, cost), status);

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    submit.disabled = true;
    status.replaceChildren(h("span", { class: "badge" }, "Sending…"));
    try {
      const [path, body] = await build();
      const task = await api(path, { method: "POST", body });
      toast(`Started: ${task.estimatedCost?.credits ?? "?"} credits reserved`);
      refreshAccount();
      location.hash = "#/videos";
    } catch (err) {
      status.replaceChildren(h("p", { class: "alert", role: "alert" }, err.message));
      submit.disabled = false;
    }
  });

  main.append(
    h("div", { class: "page-head" }, h("div", {}, h("div", { class: "crumbs" }, h("a", { href: "#/videos" }, "Videos"), " / New"),
      h("h1", {}, "New video"), h("p", {}, "Credits are reserved when you start and returned if it fails or you cancel."))),
    h("div", { class: "stack" }, tabs, form));
}
