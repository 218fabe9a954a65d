// Tiny SVG charts (no library): bars per day, grouped p50/p95 bars, a rating histogram.
// Each chart has a <title> and every bar a tooltip with its value.
const NS = "http://www.w3.org/2000/svg";
const el = (tag, attrs = {}, text) => {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
};

function frame(w, h, title) {
  const svg = el("svg", { viewBox: `0 0 ${w} ${h}`, role: "img", "aria-label": title });
  svg.append(el("title", {}, title));
  return svg;
}

/** ``series``: [{label, values: [n, ...], cls}] over ``labels``; grouped bars with y ticks. */
export function barChart({ labels, series, title, unit = "", height = 200, highlightLast = false }) {
  const w = 560, left = 40, bottom = 28, top = 10;
  const max = Math.max(4, ...series.flatMap((s) => s.values.map((v) => v || 0)));
  const nice = Math.pow(10, Math.floor(Math.log10(max))) / 2;
  const ymax = Math.ceil(max / 4 / nice) * nice * 4; // four whole ticks
  const svg = frame(w, height, title);
  const plotH = height - bottom - top, plotW = w - left - 8;
  for (let i = 0; i <= 4; i++) {
    const y = top + plotH - (plotH * i) / 4;
    svg.append(el("line", { x1: left, x2: w - 8, y1: y, y2: y, class: "axis" }));
    svg.append(el("text", { x: left - 6, y: y + 4, "text-anchor": "end" }, `${Math.round((ymax * i) / 4)}${unit}`));
  }
  const slot = plotW / labels.length;
  const bw = Math.max(2, (slot * 0.7) / series.length);
  labels.forEach((label, i) => {
    series.forEach((s, j) => {
      const v = s.values[i] || 0;
      const bh = (plotH * v) / ymax;
      const x = left + slot * i + slot * 0.15 + j * bw;
      const r = el("rect", { x, y: top + plotH - bh, width: bw - 1, height: Math.max(0, bh), rx: 2, class: s.cls || "bar" });
      r.append(el("title", {}, `${label} · ${s.label}: ${v}${unit}`));
      svg.append(r);
    });
    // labels counted from the end, so the last bar (today) always has one
    const every = Math.ceil(labels.length / 7);
    const last = i === labels.length - 1;
    if ((labels.length - 1 - i) % every === 0) {
      svg.append(el("text", { x: left + slot * i + slot / 2, y: height - 8, "text-anchor": "middle", class: last && highlightLast ? "today" : "" }, label));
    }
  });
  return svg;
}
