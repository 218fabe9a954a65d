// Create Character: portrait → quality report (manual points if no face) → personality, voice,
// knowledge → avatar built on the server → live preview where the character greets you.
import { api, h, poll, refreshAccount, toast } from "../api.js";
import { documentPicker } from "./docpick.js";
import { livePanel } from "./livepanel.js";
import { portraitPicker } from "./portrait.js";
import { voicePicker } from "./voicepick.js";

let preview = null;

export function greetingFor(templates, key, name) {
  const t = templates.find((x) => x.key === key) || templates[0];
  return (t?.greeting || "Hi, I'm {name}! How can I help you today?").replaceAll("{name}", name);
}

export async function render(main) {
  const [templates, voice, docs] = await Promise.all([
    api("/v1/studio/templates").then((r) => r.data),
    voicePicker({ id: "char-voice", current: { type: "runway-live-preset", presetId: "emma" } }),
    documentPicker({ prefix: "char" }),
  ]);
  const picker = portraitPicker();

  // -- details ---------------------------------------------------------------------------------
  const name = h("input", { type: "text", id: "char-name", required: true, maxlength: 200, placeholder: "e.g. Albert" });
  const template = h("select", { id: "char-template" }, h("option", { value: "" }, "Custom (describe below)"),
    templates.map((t) => h("option", { value: t.key }, t.title)));
  const personality = h("textarea", { id: "char-personality", required: true, placeholder: "Who is this character? How do they talk?" });
  const greeting = h("input", { type: "text", id: "char-start", maxlength: 2000 });
  const setGreetingHint = () => { greeting.placeholder = greetingFor(templates, template.value, name.value.trim() || "Albert"); };
  template.addEventListener("change", () => {
    const t = templates.find((x) => x.key === template.value);
    if (t) personality.value = t.prompt;
    setGreetingHint();
  });
  name.addEventListener("input", setGreetingHint);
  personality.value = templates[0]?.prompt || "";
  template.value = templates[0]?.key || "";
  setGreetingHint();
  const knowledgeOnly = h("input", { type: "checkbox", id: "char-knowledge-only" });
  const create = h("button", { type: "submit", id: "create-submit" }, "Create character");
  const progress = h("div", { id: "create-status", class: "stack", "aria-live": "polite" });

  const form = h("form", { class: "card stack", "aria-labelledby": "details-title", id: "create-form" },
    h("h2", { id: "details-title" }, "Details"),
    h("div", {}, h("label", { for: "char-name" }, "Name"), name),
    h("div", {}, h("label", { for: "char-template" }, "Personality template"), template),
    h("div", {}, h("label", { for: "char-personality" }, "Personality"), personality,
      h("div", { class: "hint" }, "Pick a template and refine it, or describe the character in your own words.")),
    voice.el,
    h("div", {}, h("label", { for: "char-start" }, "Greeting"), greeting,
      h("div", { class: "hint" }, "The first thing the character says when a conversation starts; left empty, the line shown is used.")),
    docs.el,
    h("div", { class: "check" }, knowledgeOnly, h("label", { for: "char-knowledge-only" }, "Answer only from this knowledge")),
    h("div", { class: "row" }, create), progress);

  const previewSlot = h("section", { class: "stack", id: "preview-slot", "aria-label": "Live preview", style: "margin-top:20px" });

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const portrait = picker.value();
    if (portrait.error) { toast(portrait.error); picker.focus(); return; }
    if (!name.value.trim()) { toast("Give the character a name."); name.focus(); return; }
    create.disabled = true;
    try {
      progress.replaceChildren(h("span", { class: "badge" }, "Saving knowledge…"));
      const documentIds = await docs.ids(name.value.trim());
      progress.replaceChildren(h("span", { class: "badge" }, "Building the character…"), h("div", { class: "progress" }, h("div", { style: "width:35%" })));
      const body = {
        name: name.value.trim(), personality: personality.value.trim(), referenceImage: portrait.image,
        voice: voice.value(), documentIds, knowledgeOnly: knowledgeOnly.checked,
        // what the preview says is what every conversation starts with
        startScript: greeting.value.trim() || greetingFor(templates, template.value, name.value.trim()),
      };
      if (portrait.keypoints) body.keypoints = portrait.keypoints;
      const created = await api("/v1/avatars", { method: "POST", body });
      const done = await poll(`/v1/avatars/${created.id}`, (a) => a.status !== "PROCESSING", { interval: 700 });
      if (done.status === "FAILED") {
        progress.replaceChildren(h("p", { class: "alert", role: "alert" }, done.failureReason));
        create.disabled = false;
        return;
      }
      // done: the form is spent (a second press would make a duplicate), the preview greets
      for (const el of form.querySelectorAll("input, select, textarea, button")) el.disabled = true;
      create.hidden = true;
      progress.replaceChildren(
        h("div", { class: "row" }, h("span", { class: "badge ok", id: "create-ready" }, `${done.name} is ready`), h("span", { class: "spacer" }),
          h("a", { class: "button secondary", href: `#/test/${done.id}`, id: "open-test" }, "Open in test mode"),
          h("a", { class: "button secondary", href: `#/characters/${done.id}` }, "Edit"),
          h("button", { type: "button", id: "create-another", onclick: () => window.kinemaStudio.route() }, "Create another")));
      preview?.leave();
      preview = livePanel({ type: "custom", avatarId: done.id }, { title: "Live preview", label: done.name, poster: done.referenceImageUri });
      previewSlot.replaceChildren(h("h2", {}, `Meet ${done.name}`), preview);
      preview.start();
      previewSlot.scrollIntoView({ behavior: "smooth", block: "start" });
      toast(`${done.name} created`);
      refreshAccount();
    } catch (err) {
      progress.replaceChildren(h("p", { class: "alert", role: "alert" }, err.message));
      create.disabled = false;
    }
  });

  main.append(
    h("div", { class: "page-head" }, h("div", {}, h("h1", {}, "Create a character"), h("p", {}, "One image, a personality and a voice; then talk to it live."))),
    h("div", { class: "grid split", style: "align-items:start" },
      h("div", { class: "card stack" }, h("h2", {}, "Portrait"), picker.el),
      form),
    previewSlot);
}

export function leave() { preview?.leave(); preview = null; }
