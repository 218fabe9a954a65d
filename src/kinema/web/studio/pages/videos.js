// Videos: generation tasks from the video API, with progress while they run and players after.
import { api, fmtDate, h } from "../api.js";

let timer = null;

export async function render(main) {
  const grid = h("div", { class: "videos", id: "video-list" });
  main.append(
    h("div", { class: "page-head" }, h("div", {}, h("h1", {}, "Videos"), h("p", {}, "Generation tasks from the video API, newest first."))),
    grid);
  const draw = async () => {
    const { data } = await api("/v1/studio/tasks?limit=30");
    if (!data.length) {
      grid.replaceChildren(h("div", { class: "card empty", style: "grid-column:1/-1" }, h("h2", {}, "No videos yet"),
        h("p", {}, "Create one with the Runway-compatible API, e.g. "), h("pre", { class: "snippet" },
          `curl -X POST ${location.origin}/v1/text_to_video \\\n  -H "Authorization: Bearer $KINEMA_KEY" -H "X-Runway-Version: 2024-11-06" \\\n  -H "Content-Type: application/json" \\\n  -d '{"model":"gen4.5","promptText":"a lighthouse at dusk","ratio":"1280:720","duration":5}'`)));
      return false;
    }
    grid.replaceChildren(...data.map((t) => {
      const out = t.output?.[0];
      const isImage = out && /\.(png|jpe?g|webp)(\?|$)/i.test(out);
      const media = t.status === "SUCCEEDED" && out
        ? (isImage ? h("img", { src: out, alt: t.promptText || "Generated image" }) : h("video", { src: out, controls: true, preload: "metadata", "aria-label": t.promptText || "Generated video" }))
        : h("div", { class: "progress", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": Math.round((t.progress || 0) * 100) }, h("div", { style: `width:${Math.round((t.progress || 0) * 100)}%` }));
      return h("article", { class: "card stack" }, media,
        h("div", { class: "row" }, h("b", {}, t.model), h("span", { class: "spacer" }),
          h("span", { class: `badge ${t.status === "SUCCEEDED" ? "ok" : t.status === "FAILED" ? "bad" : "warn"}` }, t.status)),
        t.promptText ? h("div", { class: "small" }, t.promptText) : null,
        t.failure ? h("div", { class: "small", style: "color:var(--bad)" }, t.failure) : null,
        h("div", { class: "muted small" }, fmtDate(t.createdAt)));
    }));
    return data.some((t) => ["PENDING", "RUNNING", "THROTTLED"].includes(t.status));
  };
  const loop = async () => { if (await draw()) timer = setTimeout(loop, 2000); };
  await loop();
}

export function leave() { clearTimeout(timer); }
