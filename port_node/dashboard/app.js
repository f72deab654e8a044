// The port dashboard: live counts, consignments, a consignment's timeline with its inclusion proof
// checked here in the browser (RFC 9162 section 2.1.3.2), its sealed credentials (opened on demand, shown
// in place, never kept) with their access log, and a log browser. No framework, no build step.
"use strict";

const params = new URLSearchParams(location.search);
const TAMPER = params.get("tamper") === "1"; // flips one byte client-side, to show a failing proof
let summaryState = null;
let openTimelineOf = null; // [exporter, id] of the timeline shown, to render it again in another language
const DECISION_WORDS = { accepted: N_("accepted"), rejected: N_("rejected"), held_for_inspection: N_("held for inspection") };

// -- rendering -----------------------------------------------------------------------------------
function decision(text) { return el("span", { class: text }, DECISION_WORDS[text] ? t(DECISION_WORDS[text]) : text); }

async function loadSummary() {
  const s = await getJSON("/v1/dashboard/summary");
  summaryState = s;
  document.getElementById("port-id").textContent = s.port;
  document.getElementById("port-name").replaceChildren(participantNameElement(s.port));
  const state = s.log.signing ? t("signing") : t("NOT signing: {problem}", { problem: s.log.problem });
  document.getElementById("log-state").textContent = t(
    "log {origin}: {size} entries, {state}; cosigned by {cosigners}; witness {witness}: {evidence} equivocation record(s)",
    { origin: s.log.origin, size: s.log.size, state, cosigners: s.log.cosigners.join(", ") || t("no witness yet"),
      witness: s.witness.name, evidence: s.witness.evidence });
  const ports = document.getElementById("ports");
  ports.replaceChildren(el("div", { class: "ports" }, ...s.ports.map((p) =>
    el("div", { class: "port-card" + (p === s.port ? " self" : "") }, el("strong", {}, participantElement(p)),
       el("div", { class: "muted" }, p === s.port ? t("{size} log entries (this port)", { size: s.log.size }) : t("peer port and witness"))))));
  const decisions = ["accepted", "rejected", "held_for_inspection"];
  const matrix = document.getElementById("matrix");
  matrix.tHead.replaceChildren(el("tr", {}, el("th", {}, t("exporter")), ...decisions.map((d) => el("th", {}, t(DECISION_WORDS[d]))), el("th", {}, t("total"))));
  matrix.tBodies[0].replaceChildren(...s.exporters.map((e) => {
    const c = s.counts[e] || {};
    const total = decisions.reduce((n, d) => n + (c[d] || 0), 0);
    return el("tr", {}, el("td", {}, participantElement(e)), ...decisions.map((d) => el("td", { class: "count" }, c[d] || 0)), el("td", {}, total));
  }));
}

async function loadSubmissions() {
  const { submissions } = await getJSON("/v1/dashboard/submissions");
  document.querySelector("#submissions tbody").replaceChildren(...submissions.map((s) =>
    el("tr", {}, el("td", {}, s.logIndex), el("td", {}, s.receivedAt), el("td", {}, participantElement(s.exporter)),
       el("td", {}, el("a", { class: "open-consignment", "data-id": s.submissionId, onclick: () => openTimeline(s.exporter, s.submissionId) }, s.submissionId)),
       el("td", {}, decision(s.decision)), el("td", {}, s.reasonCodes.join(", ") || "-"))));
  drawDecisionChart(document.getElementById("decision-chart"), submissions, t("latest {count} submissions", { count: submissions.length }));
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
  openTimelineOf = [exporter, id];
  const section = document.getElementById("timeline");
  section.hidden = false;
  document.getElementById("timeline-id").textContent = id;
  const result = document.getElementById("proof-result");
  result.className = "proof pending";
  result.textContent = t("checking the inclusion proof…");
  const detail = await getJSON(`/v1/dashboard/submissions/${encodeURIComponent(exporter)}/${encodeURIComponent(id)}`);
  const receipt = checkpointOf(detail.log.checkpoint);
  const latest = checkpointOf(detail.latestCheckpoint);
  const steps = [
    [null, t("{at}: received from {exporter}; {digest}", { at: detail.receivedAt, exporter, digest: detail.receipt.credentialSubject.submissionDigest })],
    [null, t("decision {decision}", { decision: DECISION_WORDS[detail.decision] ? t(DECISION_WORDS[detail.decision]) : detail.decision }) +
      (detail.reasons.length ? ": " + detail.reasons.map((r) => r.code).join(", ") : "")],
    [null, t("signed receipt {id} by {issuer}", { id: detail.receipt.id, issuer: detail.receipt.issuer.id || detail.receipt.issuer })],
    [null, t("log entry {index} in {origin}, leaf hash {leafHash}", detail.log)],
    [null, t("receipt's checkpoint: size {size}", { size: receipt.size })],
    [latest.cosigners.length > 0, t("latest checkpoint: size {size}, cosigned by {cosigners}",
      { size: latest.size, cosigners: latest.cosigners.join(", ") || t("no witness yet") })],
  ];
  document.getElementById("timeline-steps").replaceChildren(...steps.map(([ok, text]) =>
    el("li", { class: ok === null ? "" : ok ? "step-ok" : "step-bad" }, text)));
  try {
    await verifyInBrowser(detail, TAMPER);
    result.className = "proof ok";
    result.textContent = t("Inclusion proof verified in your browser ({engine} SHA-256): entry {index} is in the tree of size {size}",
      { engine: hashEngine, index: detail.log.index, size: receipt.size });
  } catch (error) {
    result.className = "proof bad";
    result.textContent = t("Inclusion proof FAILED in your browser ({engine} SHA-256): {error}", { engine: hashEngine, error: error.message });
  }
  await loadSealed(exporter, id);
}

// -- sealed credentials (issue 15): listed by key, opened on demand, shown in place, never kept -------
const operatorPath = (exporter, id) => `/v1/operator/submissions/${encodeURIComponent(exporter)}/${encodeURIComponent(id)}`;

async function loadAccessLog(base) {
  const { entries } = await getJSON(base + "/access-log");
  document.querySelector("#access-log tbody").replaceChildren(...(entries.length ? entries.map((e) =>
    el("tr", {}, el("td", {}, e.at), el("td", {}, e.operator), el("td", {}, e.credentialIndex), el("td", {}, e.kid || "-"),
       el("td", { class: e.outcome === "opened" ? "accepted" : "rejected" }, e.outcome === "opened" ? t("opened") : e.outcome))) :
    [el("tr", {}, el("td", { colspan: "5", class: "muted" }, t("no opening recorded")))]));
  return entries.length;
}

async function openSealed(base, index, cell) {
  const name = document.getElementById("operator-name").value.trim() || "operator";
  cell.replaceChildren(el("span", { class: "muted" }, t("opening…")));
  try {
    const response = await fetch(`${base}/credentials/${index}/open`, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify({ operator: name }),
    });
    const body = await response.json();
    cell.replaceChildren(response.ok
      ? el("pre", { class: "plaintext" }, JSON.stringify(body, null, 2))
      : el("span", { class: "sealed-error" }, `${body.code}: ${body.detail}`));
  } catch (error) {
    cell.replaceChildren(el("span", { class: "sealed-error" }, t("cannot open: {error}", { error: error.message })));
  }
  await loadAccessLog(base);
}

async function loadSealed(exporter, id) {
  const box = document.getElementById("sealed");
  const base = operatorPath(exporter, id);
  try {
    const { credentials } = await getJSON(base + "/credentials");
    const sealed = credentials.filter((c) => c.sealed);
    const rows = sealed.flatMap((c) => {
      const cell = el("td", { colspan: "3", class: "sealed-content" });
      const button = el("button", { class: "open-sealed", "data-index": c.index, onclick: () => openSealed(base, c.index, cell) }, t("Open"));
      return [el("tr", {}, el("td", {}, c.index), el("td", {}, el("span", { class: "sealed-tag" }, t("sealed to") + " "), c.kid || t("an unreadable key id")), el("td", {}, button)),
              el("tr", {}, cell)];
    });
    document.querySelector("#sealed-credentials tbody").replaceChildren(...rows);
    const logged = await loadAccessLog(base);
    box.hidden = sealed.length === 0 && logged === 0;
  } catch (error) {
    box.hidden = false;
    document.querySelector("#sealed-credentials tbody").replaceChildren(
      el("tr", {}, el("td", { colspan: "3", class: "sealed-error" }, t("cannot list the sealed credentials: {error}", { error: error.message }))));
  }
}

async function refresh() {
  try {
    await loadParticipants();
    await loadSummary();
    await loadSubmissions();
    await loadLog();
  } catch (error) {
    document.getElementById("log-state").textContent = t("cannot load: {error}", { error: error.message });
  }
}

// A language switch renders everything again, the open timeline too (i18n.js).
onLanguageChange(() => { refresh(); if (openTimelineOf) openTimeline(...openTimelineOf); });
startLanguage();
setInterval(refresh, 5000);
