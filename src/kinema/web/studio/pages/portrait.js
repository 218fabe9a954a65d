// The portrait picker shared by Create and Edit: upload or drop an image, the face engine's
// quality report at once, and, when no face is found, eight labelled points placed by click or
// keyboard. ``picker.value()`` gives {image, keypoints|null} once it is usable.
import { api, h, readFile } from "../api.js";
import { icons } from "../icons.js";

export const POINTS = {
  left_eye: ["Left eye", "the centre of the eye on the image's left"],
  right_eye: ["Right eye", "the centre of the eye on the image's right"],
  nose_tip: ["Nose", "the tip of the nose"],
  mouth_left: ["Mouth L", "the mouth's left corner"],
  mouth_right: ["Mouth R", "the mouth's right corner"],
  upper_lip: ["Upper lip", "the middle of the upper lip"],
  lower_lip: ["Lower lip", "the middle of the lower lip"],
  chin: ["Chin", "the bottom of the chin"],
};

function issueList(report) {
  const items = [];
  for (const e of report?.errors || []) items.push(h("li", { class: "error" }, h("b", {}, e.message), h("div", { class: "tip" }, e.tip)));
  for (const w of report?.warnings || []) items.push(h("li", { class: "warning" }, h("b", {}, w.message), h("div", { class: "tip" }, w.tip)));
  if (!items.length) items.push(h("li", { class: "good" }, h("b", {}, "Great portrait."), h("div", { class: "tip" }, "Frontal, sharp, well lit and big enough.")));
  return h("ul", { class: "issues", id: "quality-issues" }, items);
}

export function portraitPicker({ onChange = () => {}, current = null } = {}) {
  const state = { image: null, analysis: null, points: {}, order: [], manual: false };
  const file = h("input", { type: "file", id: "portrait-file", accept: "image/png,image/jpeg,image/webp" });
  const drop = h("label", { class: "drop", for: "portrait-file" }, file,
    h("div", { class: "stack", style: "justify-items:center" }, h("span", { class: "ico-big", html: icons.upload }),
      h("b", {}, current ? "Upload a new portrait" : "Upload a portrait"),
      h("span", { class: "muted small" }, "A frontal photo or artwork with the face well lit. JPEG, PNG or WebP. Drop it here, or press Enter to browse.")));
  const img = h("img", { alt: "Uploaded portrait", id: "portrait-img" });
  const pins = h("div");
  const cursorPin = h("span", { class: "cursor-pin", hidden: true });
  const portrait = h("div", { class: "portrait", id: "portrait", hidden: true }, img, pins, cursorPin);
  const quality = h("div", { id: "quality", class: "stack", "aria-live": "polite" });
  const marker = h("div", { id: "marker", class: "stack", hidden: true });
  const another = h("button", { type: "button", class: "secondary", id: "portrait-again", hidden: true }, "Choose another image");
  const tips = h("ul", { class: "issues", id: "portrait-tips" },
    h("li", { class: "info" }, h("b", {}, "What works best"), h("div", { class: "tip" }, "One face looking at the camera, shoulders in view, even light, at least 512 px across.")),
    h("li", { class: "info" }, h("b", {}, "Animals, drawings, statues"), h("div", { class: "tip" }, "If no human face is found you mark the eyes, nose, mouth and chin yourself: eight clicks.")));

  const badge = (text, cls) => h("span", { class: `badge ${cls}`, id: "quality-badge" }, text);
  const head = (b) => h("div", { class: "row" }, h("h2", { style: "margin:0" }, "Quality report"), h("span", { class: "spacer" }), b);

  another.addEventListener("click", () => { file.value = ""; file.click(); });

  async function onImage(dataUrl) {
    Object.assign(state, { image: dataUrl, points: {}, analysis: null, manual: false });
    img.src = dataUrl; portrait.hidden = false; drop.hidden = true; tips.hidden = true; another.hidden = false;
    pins.replaceChildren(); marker.hidden = true; portrait.classList.remove("marking"); cursorPin.hidden = true;
    portrait.removeAttribute("tabindex"); portrait.onclick = portrait.onkeydown = null;
    quality.replaceChildren(h("span", { class: "badge" }, "Checking the portrait…"));
    onChange();
    try {
      const a = (state.analysis = await api("/v1/studio/analyze", { method: "POST", body: { image: dataUrl } }));
      if (a.faceFound) {
        const warn = a.report.warnings.length;
        quality.replaceChildren(head(badge(a.report.errors.length ? "Not usable" : warn ? "Usable, with tips" : "Ready", a.report.errors.length ? "bad" : warn ? "warn" : "ok")), issueList(a.report));
      } else {
        state.manual = true;
        quality.replaceChildren(head(badge("No face found", "warn")),
          h("ul", { class: "issues", id: "quality-issues" }, h("li", { class: "warning", id: "noface-item" },
            h("b", {}, "No human face was found in this picture."),
            h("div", { class: "tip" }, "That is normal for animals, drawings and masks. Mark the eight points below and the character is built from them."),
            h("details", {}, h("summary", {}, "What the face detector said"), h("pre", { class: "small" }, a.message)))));
        startMarking(a.keypointNames);
      }
    } catch (err) {
      state.analysis = null;
      quality.replaceChildren(h("p", { class: "alert", role: "alert" }, err.message));
    }
    onChange();
  }

  // manual keypoints: click (or arrows + Enter) to place each point in turn, labelled pins
  function startMarking(names) {
    state.order = names; state.points = {};
    portrait.classList.add("marking");
    portrait.tabIndex = 0;
    portrait.setAttribute("role", "application");
    portrait.setAttribute("aria-label", "Portrait: place the face points here");
    marker.hidden = false;
    const cursor = { x: 0.5, y: 0.5 };
    const prompt = h("p", { id: "marker-prompt", "aria-live": "assertive" });
    const undo = h("button", { type: "button", class: "secondary" }, "Undo last point");
    const reset = h("button", { type: "button", class: "secondary" }, "Start over");
    const legend = h("ol", { class: "legend-points", id: "marker-legend", "aria-label": "Points" });
    const next = () => names.find((n) => !state.points[n]);
    const geometry = () => {
      const r = img.getBoundingClientRect();
      const a = state.analysis;
      const k = Math.min(r.width / a.width, r.height / a.height);
      const w = a.width * k, hh = a.height * k;
      return { r, ox: (r.width - w) / 2, oy: (r.height - hh) / 2, w, hh };
    };
    const drawPins = () => {
      const g = geometry();
      pins.replaceChildren(...names.filter((n) => state.points[n]).map((n, i) => {
        const [px, py] = state.points[n];
        const left = ((g.ox + (px / state.analysis.width) * g.w) / g.r.width) * 100;
        const top = ((g.oy + (py / state.analysis.height) * g.hh) / g.r.height) * 100;
        return h("span", { class: "pin", title: POINTS[n][0], style: `left:${left}%;top:${top}%` }, h("b", {}, `${i + 1}`));
      }));
      legend.replaceChildren(...names.map((n, i) => h("li", { class: state.points[n] ? "done" : n === next() ? "now" : "" },
        `${i + 1} ${POINTS[n][0]}${state.points[n] ? " ✓" : ""}`)));
    };
    const update = () => {
      const n = next();
      const done = Object.keys(state.points).length;
      prompt.textContent = n
        ? `Point ${done + 1} of ${names.length}: click ${POINTS[n][1]}. Keyboard: arrow keys move the dashed cursor (Shift for big steps), Enter places.`
        : "All points placed. You can create the character.";
      const item = document.getElementById("noface-item");
      const b = document.getElementById("quality-badge");
      if (!n) {
        b.textContent = "Points placed"; b.className = "badge ok";
        item?.classList.replace("warning", "good");
      } else {
        b.textContent = "No face found"; b.className = "badge warn";
        item?.classList.replace("good", "warning");
      }
      undo.disabled = !done;
      drawPins();
      onChange();
    };
    const place = (fx, fy) => {
      const n = next();
      if (!n || fx < 0 || fy < 0 || fx > 1 || fy > 1) return;
      state.points[n] = [Math.round(fx * state.analysis.width), Math.round(fy * state.analysis.height)];
      update();
    };
    const moveCursor = () => {
      const g = geometry();
      cursorPin.hidden = false;
      cursorPin.style.left = `${((g.ox + cursor.x * g.w) / g.r.width) * 100}%`;
      cursorPin.style.top = `${((g.oy + cursor.y * g.hh) / g.r.height) * 100}%`;
    };
    portrait.onclick = (e) => {
      const g = geometry();
      place((e.clientX - g.r.left - g.ox) / g.w, (e.clientY - g.r.top - g.oy) / g.hh);
    };
    portrait.onkeydown = (e) => {
      const step = e.shiftKey ? 0.05 : 0.01;
      if (e.key === "ArrowLeft") cursor.x -= step; else if (e.key === "ArrowRight") cursor.x += step;
      else if (e.key === "ArrowUp") cursor.y -= step; else if (e.key === "ArrowDown") cursor.y += step;
      else if (e.key === "Enter" || e.key === " ") { place(cursor.x, cursor.y); e.preventDefault(); return; } else return;
      cursor.x = Math.min(1, Math.max(0, cursor.x)); cursor.y = Math.min(1, Math.max(0, cursor.y));
      e.preventDefault();
      moveCursor();
    };
    portrait.onfocus = () => { if (portrait.matches(":focus-visible")) moveCursor(); };
    portrait.onblur = () => { cursorPin.hidden = true; };
    undo.onclick = () => {
      const placed = names.filter((n) => state.points[n]);
      if (placed.length) delete state.points[placed[placed.length - 1]];
      update();
    };
    reset.onclick = () => { state.points = {}; update(); };
    marker.replaceChildren(h("h2", {}, "Mark the face by hand"), prompt, legend, h("div", { class: "row" }, undo, reset));
    window.addEventListener("resize", drawPins);
    update();
  }

  file.addEventListener("change", async () => { if (file.files[0]) onImage(await readFile(file.files[0])); });
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", async (e) => { e.preventDefault(); drop.classList.remove("over"); if (e.dataTransfer.files[0]) onImage(await readFile(e.dataTransfer.files[0])); });

  const el = h("div", { class: "stack" }, drop, portrait, another, quality, marker, tips);
  return {
    el,
    focus: () => (state.manual ? portrait : drop).focus?.(),
    /** What to send, or a reason it is not ready yet. */
    value() {
      if (!state.image) return { error: "Upload a portrait first." };
      if (!state.analysis) return { error: "The portrait is still being checked (or could not be read)." };
      if (state.manual) {
        if (Object.keys(state.points).length < state.order.length) return { error: "Place all eight face points first." };
        return { image: state.image, keypoints: state.points };
      }
      if (state.analysis.report?.errors?.length) return { error: state.analysis.report.errors[0].message };
      return { image: state.image, keypoints: null };
    },
    get chosen() { return Boolean(state.image); },
  };
}
