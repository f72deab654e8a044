// The port dashboard: live counts, consignments, a consignment's timeline with its inclusion proof
// checked here in the browser (RFC 9162 section 2.1.3.2), and a log browser. No framework, no build step.
"use strict";

const params = new URLSearchParams(location.search);
const TAMPER = params.get("tamper") === "1"; // flips one byte client-side, to show a failing proof
let summaryState = null;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v); else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

async function getJSON(path) {
  const response = await fetch(path, { credentials: "same-origin", cache: "no-store" });
  if (!response.ok) throw new Error(path + ": HTTP " + response.status);
  return response.json();
}

// -- hashing and proofs --------------------------------------------------------------------------
const b64decode = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const b64encode = (bytes) => btoa(String.fromCharCode(...bytes));
const concat = (...parts) => { const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0)); let o = 0; for (const p of parts) { out.set(p, o); o += p.length; } return out; };
const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

const hashEngine = (globalThis.crypto && crypto.subtle) ? "WebCrypto" : "bundled sha256.js";
async function sha256(bytes) {
  if (globalThis.crypto && crypto.subtle) return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return window.pilotSha256(bytes);
}
const leafHash = (input) => sha256(concat(new Uint8Array([0]), input));
const nodeHash = (left, right) => sha256(concat(new Uint8Array([1]), left, right));

// RFC 9162 section 2.1.3.2: the root a leaf hash and its inclusion proof lead to.
async function rootFromInclusionProof(index, size, leaf, proof) {
  if (index >= size) throw new Error("index " + index + " is not below size " + size);
  let fn = index, sn = size - 1, r = leaf;
  for (const p of proof) {
    if (sn === 0) throw new Error("the proof is longer than the path");
    if ((fn & 1) === 1 || fn === sn) {
      r = await nodeHash(p, r);
      while ((fn & 1) === 0 && fn !== 0) { fn >>= 1; sn >>= 1; }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1; sn >>= 1;
  }
  if (sn !== 0) throw new Error("the proof is shorter than the path");
  return r;
}

function checkpointOf(note) {
  const lines = note.split("\n");
  return { origin: lines[0], size: Number(lines[1]), root: b64decode(lines[2]),
           cosigners: lines.filter((l) => l.startsWith("\u2014 ") && l.includes("/witness ")).map((l) => l.split(" ")[1]) };
}

async function verifyInBrowser(detail) {
  let input = b64decode(detail.leafInput);
  const proof = detail.log.inclusionProof.map(b64decode);
  if (TAMPER) {
    if (proof.length) { proof[0] = proof[0].slice(); proof[0][0] ^= 1; } else { input = input.slice(); input[0] ^= 1; }
  }
  const checkpoint = checkpointOf(detail.log.checkpoint);
  const leaf = await leafHash(input);
  if (!equal(leaf, b64decode(detail.log.leafHash))) throw new Error("the leaf input does not hash to the receipt's leafHash");
  const root = await rootFromInclusionProof(detail.log.index, checkpoint.size, leaf, proof);
  if (!equal(root, checkpoint.root)) throw new Error("the proof leads to " + b64encode(root) + ", not to the checkpoint's root");
  return checkpoint;
}

// -- rendering -----------------------------------------------------------------------------------
function decision(text) { return el("span", { class: text }, text); }

async function loadSummary() {
  const s = await getJSON("/v1/dashboard/summary");
  summaryState = s;
  document.getElementById("port-id").textContent = s.port;
  const state = s.log.signing ? "signing" : "NOT signing: " + s.log.problem;
  document.getElementById("log-state").textContent =
    `log ${s.log.origin}: ${s.log.size} entries, ${state}; cosigned by ${s.log.cosigners.join(", ") || "no witness yet"}; ` +
    `witness ${s.witness.name}: ${s.witness.evidence} equivocation record(s)`;
  const ports = document.getElementById("ports");
  ports.replaceChildren(el("div", { class: "ports" }, ...s.ports.map((p) =>
    el("div", { class: "port-card" + (p === s.port ? " self" : "") }, el("strong", {}, p),
       el("div", { class: "muted" }, p === s.port ? `${s.log.size} log entries (this port)` : "peer port and witness")))));
  const decisions = ["accepted", "rejected", "held_for_inspection"];
  const matrix = document.getElementById("matrix");
  matrix.tHead.replaceChildren(el("tr", {}, el("th", {}, "exporter"), ...decisions.map((d) => el("th", {}, d)), el("th", {}, "total")));
  matrix.tBodies[0].replaceChildren(...s.exporters.map((e) => {
    const c = s.counts[e] || {};
    const total = decisions.reduce((n, d) => n + (c[d] || 0), 0);
    return el("tr", {}, el("td", {}, e), ...decisions.map((d) => el("td", { class: "count" }, c[d] || 0)), el("td", {}, total));
  }));
}

async function loadSubmissions() {
  const { submissions } = await getJSON("/v1/dashboard/submissions");
  document.querySelector("#submissions tbody").replaceChildren(...submissions.map((s) =>
    el("tr", {}, el("td", {}, s.logIndex), el("td", {}, s.receivedAt), el("td", {}, s.exporter),
       el("td", {}, el("a", { class: "open-consignment", "data-id": s.submissionId, onclick: () => openTimeline(s.exporter, s.submissionId) }, s.submissionId)),
       el("td", {}, decision(s.decision)), el("td", {}, s.reasonCodes.join(", ") || "-"))));
}

async function loadLog() {
  const size = summaryState ? summaryState.log.size : 0;
  const start = Math.max(0, size - 50);
  const { entries } = await getJSON(`/v1/log/entries?start=${start}&end=${size}`);
  document.querySelector("#entries tbody").replaceChildren(...entries.reverse().map(({ index, entry }) =>
    el("tr", {}, el("td", {}, index), el("td", {}, entry.exporter), el("td", {}, entry.submissionId),
       el("td", {}, decision(entry.decision)), el("td", {}, entry.reasonCodes.join(", ") || "-"), el("td", {}, entry.receivedAt))));
}

async function openTimeline(exporter, id) {
  const section = document.getElementById("timeline");
  section.hidden = false;
  document.getElementById("timeline-id").textContent = id;
  const result = document.getElementById("proof-result");
  result.className = "proof pending";
  result.textContent = "checking the inclusion proof…";
  const detail = await getJSON(`/v1/dashboard/submissions/${encodeURIComponent(exporter)}/${encodeURIComponent(id)}`);
  const receipt = checkpointOf(detail.log.checkpoint);
  const latest = checkpointOf(detail.latestCheckpoint);
  const steps = [
    [null, `${detail.receivedAt}: received from ${exporter}; ${detail.receipt.credentialSubject.submissionDigest}`],
    [null, `decision ${detail.decision}` + (detail.reasons.length ? ": " + detail.reasons.map((r) => r.code).join(", ") : "")],
    [null, `signed receipt ${detail.receipt.id} by ${detail.receipt.issuer.id || detail.receipt.issuer}`],
    [null, `log entry ${detail.log.index} in ${detail.log.origin}, leaf hash ${detail.log.leafHash}`],
    [null, `receipt's checkpoint: size ${receipt.size}`],
    [latest.cosigners.length > 0, `latest checkpoint: size ${latest.size}, cosigned by ${latest.cosigners.join(", ") || "no witness yet"}`],
  ];
  document.getElementById("timeline-steps").replaceChildren(...steps.map(([ok, text]) =>
    el("li", { class: ok === null ? "" : ok ? "step-ok" : "step-bad" }, text)));
  try {
    await verifyInBrowser(detail);
    result.className = "proof ok";
    result.textContent = `Inclusion proof verified in your browser (${hashEngine} SHA-256): entry ${detail.log.index} is in the tree of size ${receipt.size}`;
  } catch (error) {
    result.className = "proof bad";
    result.textContent = `Inclusion proof FAILED in your browser (${hashEngine} SHA-256): ${error.message}`;
  }
}

async function refresh() {
  try {
    await loadSummary();
    await loadSubmissions();
    await loadLog();
  } catch (error) {
    document.getElementById("log-state").textContent = "cannot load: " + error.message;
  }
}

refresh();
setInterval(refresh, 5000);
