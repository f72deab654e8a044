// Decisions over time: a stacked bar chart (accepted, held for inspection, rejected per time bucket) drawn as
// inline SVG from the dashboard's JSON, redrawn with every refresh. The bucket is the shortest of a fixed
// ladder (10 s ... 1 week) that keeps the chart within CHART_MAX_BUCKETS (30) bars; times are UTC. Every text goes in as
// a text node, never as markup. drawDecisionChart(container, items, note): items are {receivedAt, decision}; the
// note (for example which submissions these are) goes beside the legend. Its texts go through i18n.js's t().
"use strict";

// t() of i18n.js in a page; outside one (Node.js, in the tests) the English message ids themselves.
const chartText = (id, values) => (typeof t === "function" ? t(id, values) : id);
// Each decision with its legend label (read at every drawing: the language may have changed) and colour.
const CHART_DECISIONS = [
  ["accepted", () => chartText("accepted"), "#1b7f3b"],
  ["held_for_inspection", () => chartText("held"), "#d08a00"],
  ["rejected", () => chartText("rejected"), "#b3261e"],
];
const CHART_BUCKETS_S = [10, 30, 60, 300, 900, 3600, 6 * 3600, 86400, 7 * 86400];
const CHART_MAX_BUCKETS = 30;
const SVG_NS = "http://www.w3.org/2000/svg";

function svgEl(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

// The shortest bucket (seconds) whose aligned buckets from firstMs to lastMs number at most CHART_MAX_BUCKETS.
function bucketSeconds(firstMs, lastMs) {
  const fits = (b) => Math.floor(lastMs / (b * 1000)) - Math.floor(firstMs / (b * 1000)) + 1 <= CHART_MAX_BUCKETS;
  return CHART_BUCKETS_S.find(fits) || CHART_BUCKETS_S[CHART_BUCKETS_S.length - 1];
}

function bucketLabel(startMs, widthS) {
  const iso = new Date(startMs).toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  if (widthS >= 86400) return iso.slice(0, 10);
  if (widthS >= 60) return iso.slice(5, 10) + " " + iso.slice(11, 16);
  return iso.slice(11, 19);
}

function widthLabel(widthS) {
  if (widthS >= 86400) return `${widthS / 86400} d`;
  if (widthS >= 3600) return `${widthS / 3600} h`;
  if (widthS >= 60) return `${widthS / 60} min`;
  return `${widthS} s`;
}

// {widthS, buckets: [{start (ms), counts: {decision: n}}]} for the items, empty buckets included.
function decisionBuckets(items) {
  const times = items.map((i) => Date.parse(i.receivedAt)).filter((t) => !Number.isNaN(t));
  if (!times.length) return { widthS: CHART_BUCKETS_S[0], buckets: [] };
  const first = Math.min(...times), last = Math.max(...times);
  const widthS = bucketSeconds(first, last);
  const widthMs = widthS * 1000;
  const origin = Math.floor(first / widthMs) * widthMs;
  const count = Math.floor((last - origin) / widthMs) + 1;
  const buckets = Array.from({ length: count }, (_, n) => ({ start: origin + n * widthMs, counts: {} }));
  for (const item of items) {
    const t = Date.parse(item.receivedAt);
    if (Number.isNaN(t)) continue;
    const bucket = buckets[Math.floor((t - origin) / widthMs)];
    bucket.counts[item.decision] = (bucket.counts[item.decision] || 0) + 1;
  }
  return { widthS, buckets };
}

function niceCeiling(n) {
  for (const step of [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000]) if (n <= step) return step;
  return Math.ceil(n / 1000) * 1000;
}

function drawDecisionChart(container, items, note) {
  const { widthS, buckets } = decisionBuckets(items);
  const W = 720, H = 230, left = 44, right = 12, top = 34, bottom = 44;
  const plotW = W - left - right, plotH = H - top - bottom;
  const total = (b) => CHART_DECISIONS.reduce((n, [d]) => n + (b.counts[d] || 0), 0);
  const most = niceCeiling(Math.max(1, ...buckets.map(total)));
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, width: "100%", role: "img", class: "decision-chart",
    "data-total": buckets.reduce((n, b) => n + total(b), 0), "data-bucket-seconds": widthS,
    "font-family": "system-ui, sans-serif", "font-size": 11, style: `max-width: ${W}px` });
  svg.append(svgEl("title", {}, chartText("Decisions over time, per {width} (UTC)", { width: widthLabel(widthS) })));
  let x = left;
  for (const [, labelOf, colour] of CHART_DECISIONS) {
    const label = labelOf();
    svg.append(svgEl("rect", { x, y: 8, width: 10, height: 10, fill: colour }), svgEl("text", { x: x + 14, y: 17, fill: "#4a5561" }, label));
    x += 24 + (/^[\x00-\u04ff]*$/.test(label) ? 7 : 12) * label.length; // wider glyphs outside Latin and Cyrillic
  }
  svg.append(svgEl("text", { x: W - right, y: 17, "text-anchor": "end", fill: "#67727e" }, chartText("per {width}, UTC", { width: widthLabel(widthS) }) + (note ? "; " + note : "")));
  for (const tick of [0, most / 2, most].filter(Number.isInteger)) {
    const y = top + plotH - (tick / most) * plotH;
    svg.append(svgEl("line", { x1: left, x2: W - right, y1: y, y2: y, stroke: "#e4e7eb" }),
      svgEl("text", { x: left - 6, y: y + 4, "text-anchor": "end", fill: "#67727e" }, tick));
  }
  if (!buckets.length) {
    svg.append(svgEl("text", { x: left + plotW / 2, y: top + plotH / 2, "text-anchor": "middle", fill: "#67727e" }, chartText("no decision yet")));
  }
  const slot = plotW / Math.max(buckets.length, 1);
  const barW = Math.max(2, Math.min(40, slot * 0.7));
  buckets.forEach((bucket, n) => {
    const group = svgEl("g", { class: "bucket", "data-start": new Date(bucket.start).toISOString(),
      ...Object.fromEntries(CHART_DECISIONS.map(([d]) => [`data-${d.replaceAll("_", "-")}`, bucket.counts[d] || 0])) });
    const parts = CHART_DECISIONS.map(([d, labelOf]) => `${bucket.counts[d] || 0} ${labelOf()}`).join(", ");
    group.append(svgEl("title", {}, `${bucketLabel(bucket.start, widthS)} + ${widthLabel(widthS)}: ${parts}`));
    let y = top + plotH;
    for (const [d, , colour] of CHART_DECISIONS) {
      const h = ((bucket.counts[d] || 0) / most) * plotH;
      if (h > 0) group.append(svgEl("rect", { x: left + n * slot + (slot - barW) / 2, y: y - h, width: barW, height: h, fill: colour }));
      y -= h;
    }
    svg.append(group);
  });
  const labelled = buckets.length > 1 ? [0, Math.floor((buckets.length - 1) / 2), buckets.length - 1] : [0];
  for (const n of new Set(labelled)) {
    if (!buckets[n]) continue;
    // The first and last labels start and end at their bars' outer edges, so that neither leaves the chart.
    const edge = buckets.length > 1 && (n === 0 || n === buckets.length - 1);
    const anchor = edge ? (n === 0 ? "start" : "end") : "middle";
    const x = edge ? left + n * slot + (n === 0 ? (slot - barW) / 2 : (slot + barW) / 2) : left + n * slot + slot / 2;
    svg.append(svgEl("text", { x, y: H - bottom + 16, "text-anchor": anchor, fill: "#4a5561" }, bucketLabel(buckets[n].start, widthS)));
  }
  svg.append(svgEl("line", { x1: left, x2: W - right, y1: top + plotH, y2: top + plotH, stroke: "#8a949e" }));
  container.replaceChildren(svg);
}

// Loaded as a module (Node.js, in the tests), the pure parts are exported; in a page this does nothing.
if (typeof module !== "undefined") {
  module.exports = { bucketSeconds, decisionBuckets, niceCeiling };
}
