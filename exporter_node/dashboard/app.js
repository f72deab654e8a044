// The exporter dashboard: consignments with their delivery state, the port's decision and reasons, what to fix,
// each receipt's inclusion proof checked here in the browser (RFC 9162 section 2.1.3.2), the outbox, and the
// farms and certificates with their validity and status. Live: read again every 5 s. No framework, no build
// step; every value from the node is shown as text (page.js), never as markup.
"use strict";

const params = new URLSearchParams(location.search);
const TAMPER = params.get("tamper") === "1"; // flips one byte client-side, to show a failing proof
const REFRESH_MS = 5000;
const STATES = new Set(["pending", "delivered", "delivered_with_warnings", "failed"]);
const DECISIONS = new Set(["accepted", "rejected", "held_for_inspection"]);
const STANDINGS = new Set(["valid", "warning", "invalid", "sealed"]);
let hints = {};
let openId = params.get("consignment"); // a consignment to open at once (a link to it)
let openStamp = null; // the updatedAt of the consignment shown, to read it again only when it changed

// -- small renderers -----------------------------------------------------------------------------
const shown = (value) => (value === null || value === undefined || value === "" ? "-" : value);
const words = (value) => String(value).replaceAll("_", " ");
// The words shown for the states, decisions and standings (their values stay as the badges' classes).
const WORDS = {
  pending: N_("pending"), delivered: N_("delivered"), delivered_with_warnings: N_("delivered with warnings"), failed: N_("failed"),
  accepted: N_("accepted"), rejected: N_("rejected"), held_for_inspection: N_("held for inspection"),
  retry: N_("retry"), receipt_failed: N_("receipt failed"), gave_up: N_("gave up"),
  error: N_("error"), valid: N_("valid"), warning: N_("warning"), invalid: N_("invalid"), sealed: N_("sealed"),
};
const said = (value) => (WORDS[value] ? t(WORDS[value]) : words(value));
// A reason's message in the chosen language when the port wrote it in that language, else the English one.
const reasonMessage = (r) => (r.localized && r.localized.lang === document.documentElement.lang && r.localized.message) || r.message;
const hintOf = (code) => (hints[code] ? t(hints[code]) : "");

function badge(value, known, prefix) {
  if (value === null || value === undefined) return el("span", { class: "muted" }, "-");
  return el("span", { class: "badge " + (known.has(value) ? prefix + value : "other") }, said(value));
}

function validity(from, until) {
  const expired = until && Date.parse(until) < Date.now();
  return el("span", { class: expired ? "expired" : "" }, `${shown(from)} → ${until || t("no end")}` + (expired ? " " + t("(expired)") : ""));
}

function standing(s) {
  if (s.state === "sealed") return el("span", { class: "badge standing-sealed" }, t("sealed to {key}", { key: s.sealedTo }));
  const cell = el("span", {}, badge(s.state, STANDINGS, "standing-"));
  for (const code of s.codes) cell.append(" ", el("code", { title: hintOf(code) }, code));
  return cell;
}

function codeList(codes) {
  return codes.length ? codes.map((c) => el("code", { title: hintOf(c) }, c)).flatMap((n, i) => (i ? [", ", n] : [n])) : ["-"];
}

const reasonCodes = (c) => [...new Set((c.reasons || []).map((r) => r.code))];

// What to fix: each error's hint first, then the warnings', then the failed delivery's.
function fixes(c) {
  const reasons = [...(c.reasons || [])].sort((a, b) => (a.severity === "error" ? 0 : 1) - (b.severity === "error" ? 0 : 1));
  const items = reasons.filter((r) => hints[r.code]).map((r) => [r.code, r.path, hintOf(r.code)]);
  if (c.failureCode && hints[c.failureCode]) items.push([c.failureCode, "", hintOf(c.failureCode)]);
  const seen = new Set();
  return items.filter(([code, path]) => !seen.has(code + path) && seen.add(code + path));
}

function fixItem([code, path, hint]) {
  return el("li", {}, el("code", {}, code), path ? el("span", { class: "muted" }, " " + t("at {path}", { path })) : "", ": ", hint);
}

// -- the overview ----------------------------------------------------------------------------------
function renderCounts(consignments) {
  const count = (key, value) => consignments.filter((c) => c[key] === value).length;
  const parts = [...STATES].map((s) => `${count("state", s)} ${said(s)}`);
  const decided = [...DECISIONS].map((d) => `${count("decision", d)} ${said(d)}`);
  document.getElementById("counts").textContent = t("{count} consignments: {states}; decisions: {decisions}",
    { count: consignments.length, states: parts.join(", "), decisions: decided.join(", ") });
}

function consignmentRows(c) {
  const link = el("a", { class: "open-consignment", "data-id": c.id, onclick: () => openDetail(c.id) }, c.id);
  const row = el("tr", { "data-id": c.id, class: c.id === openId ? "selected" : "" },
    el("td", {}, link, c.raw ? el("span", { class: "muted" }, " " + t("(queued as-is)")) : ""),
    el("td", {}, participantElement(c.destination)), el("td", {}, badge(c.state, STATES, "state-")), el("td", {}, badge(c.decision, DECISIONS, "decision-")),
    el("td", {}, ...codeList([...reasonCodes(c), ...(c.failureCode ? [c.failureCode] : [])])),
    el("td", {}, c.attempts), el("td", {}, c.updatedAt));
  const todo = c.decision === "rejected" || c.state === "failed" ? fixes(c) : [];
  if (!todo.length) return [row];
  return [row, el("tr", { class: "fix-row" }, el("td", { colspan: "7" }, el("strong", {}, t("What to fix") + ": "), el("ul", {}, ...todo.map(fixItem))))];
}

function renderOverview(o) {
  hints = o.hints;
  document.getElementById("exporter-id").textContent = o.exporter;
  document.getElementById("exporter-name").replaceChildren(participantNameElement(o.exporter));
  document.getElementById("state-line").textContent = t(
    "as of {at}: {consignments} consignments, {outbox} in the outbox, {farms} farms and plants, {certificates} certificates",
    { at: o.at, consignments: o.consignments.length, outbox: o.outbox.length, farms: o.farms.length, certificates: o.certificates.length });
  renderCounts(o.consignments);
  document.querySelector("#consignment-table tbody").replaceChildren(...(o.consignments.length ? o.consignments.flatMap(consignmentRows)
    : [el("tr", {}, el("td", { colspan: "7", class: "muted" }, t("no consignment yet")))]));
  document.querySelector("#outbox tbody").replaceChildren(...(o.outbox.length ? o.outbox.map((item) =>
    el("tr", {}, el("td", {}, el("a", { class: "open-consignment", onclick: () => openDetail(item.consignmentId) }, item.consignmentId)),
       el("td", {}, participantElement(item.destination)), el("td", {}, item.attempts), el("td", {}, item.nextAttemptAt), el("td", {}, shown(item.lastError))))
    : [el("tr", {}, el("td", { colspan: "5", class: "muted" }, t("empty: nothing waits for delivery")))]));
  document.querySelector("#farms tbody").replaceChildren(...o.farms.map((f) =>
    el("tr", {}, el("td", {}, f.id), el("td", {}, nameElement(f.name, f.names)), el("td", {}, words(f.facilityType)), el("td", {}, f.establishmentNumber),
       el("td", {}, f.region), el("td", {}, validity(f.validFrom, f.validUntil)), el("td", {}, standing(f.standing)))));
  document.querySelector("#certificates tbody").replaceChildren(...o.certificates.map((c) =>
    el("tr", {}, el("td", {}, c.id), el("td", {}, c.type), el("td", {}, participantElement(c.issuer)), el("td", {}, shown(c.assessedFacility || c.establishmentNumber)),
       el("td", {}, validity(c.validFrom, c.validUntil)), el("td", {}, standing(c.standing)))));
  const current = openId && o.consignments.find((c) => c.id === openId);
  if (openId && (openStamp === null || (current && current.updatedAt !== openStamp))) openDetail(openId);
}

// -- one consignment -------------------------------------------------------------------------------
async function checkReceipt(detail) {
  const result = document.getElementById("proof-result");
  const c = detail.consignment;
  const log = c.receipt && c.receipt.credentialSubject && c.receipt.credentialSubject.log;
  if (!log || !detail.leafInput) {
    result.className = "proof pending";
    result.textContent = c.state === "failed" ? t("No receipt: the delivery failed ({code}).", { code: shown(c.failureCode) }) : t("No receipt yet: the consignment waits in the outbox.");
    return;
  }
  result.className = "proof pending";
  result.textContent = t("checking the receipt's inclusion proof…");
  try {
    const checkpoint = await verifyInBrowser({ leafInput: detail.leafInput, log }, TAMPER);
    result.className = "proof ok";
    result.textContent = t("Receipt's inclusion proof verified in your browser ({engine} SHA-256): entry {index} is in {origin}, tree of size {size}",
      { engine: hashEngine, index: log.index, origin: log.origin, size: checkpoint.size });
  } catch (error) {
    result.className = "proof bad";
    result.textContent = t("Receipt's inclusion proof FAILED in your browser ({engine} SHA-256): {error}", { engine: hashEngine, error: error.message });
  }
}

function receiptSteps(detail) {
  const c = detail.consignment;
  if (!c.receipt) return [el("li", { class: "muted" }, t("no receipt"))];
  const subject = c.receipt.credentialSubject || {};
  const log = subject.log || {};
  const issuer = c.receipt.issuer && (c.receipt.issuer.id || c.receipt.issuer);
  const steps = [
    t("{at}: received by {port}; decision {decision}", { at: shown(subject.receivedAt), port: c.destination, decision: subject.decision ? said(subject.decision) : "-" }),
    t("signed receipt {id} by {issuer}, verified by this node on arrival", { id: shown(c.receipt.id), issuer: shown(issuer) }),
    t("log entry {index} in {origin}, leaf hash {leafHash}", { index: shown(log.index), origin: shown(log.origin), leafHash: shown(log.leafHash) }),
  ];
  if (log.checkpoint) steps.push(t("receipt's checkpoint: size {size}", { size: checkpointOf(log.checkpoint).size }));
  if (detail.latestCheckpoint) {
    const latest = checkpointOf(detail.latestCheckpoint);
    steps.push(t("largest checkpoint verified from {port}: size {size}, consistent with every one seen before", { port: c.destination, size: latest.size }));
  }
  return steps.map((text) => el("li", {}, text));
}

async function openDetail(id) {
  openId = id;
  const section = document.getElementById("detail");
  section.hidden = false;
  document.getElementById("detail-id").textContent = id;
  for (const row of document.querySelectorAll("#consignment-table tbody tr[data-id]")) row.classList.toggle("selected", row.dataset.id === id);
  let detail;
  try {
    detail = await getJSON(`/v1/dashboard/consignments/${encodeURIComponent(id)}`);
  } catch (error) {
    document.getElementById("detail-state").textContent = t("cannot load: {error}", { error: error.message });
    openStamp = ""; // not again at every refresh: only once it is listed with a new update time
    return;
  }
  if (openId !== id) return; // another consignment was opened meanwhile
  const c = detail.consignment;
  openStamp = c.updatedAt;
  hints = { ...hints, ...detail.hints };
  document.getElementById("detail-state").replaceChildren(t("to {port}:", { port: c.destination }) + " ", badge(c.state, STATES, "state-"), " ",
    badge(c.decision, DECISIONS, "decision-"), el("span", { class: "muted" }, " " + t("created {at}, {attempts} attempt(s)", { at: c.createdAt, attempts: c.attempts })));
  const todo = fixes(c);
  document.getElementById("fix").hidden = todo.length === 0;
  document.getElementById("fix-list").replaceChildren(...todo.map(fixItem));
  document.querySelector("#reasons tbody").replaceChildren(...((c.reasons || []).length ? c.reasons.map((r) =>
    el("tr", {}, el("td", {}, el("code", {}, r.code)), el("td", { class: "severity-" + (r.severity === "error" ? "error" : "warning") }, (r.severity ? said(r.severity) : "-")),
       el("td", {}, el("code", {}, shown(r.path))), el("td", {}, shown(reasonMessage(r)))))
    : [el("tr", {}, el("td", { colspan: "4", class: "muted" }, c.decision ? t("no reason: nothing was wrong") : t("no decision yet")))]));
  document.getElementById("receipt-steps").replaceChildren(...receiptSteps(detail));
  document.querySelector("#attempts tbody").replaceChildren(...c.attemptLog.map((a) =>
    el("tr", {}, el("td", {}, a.number), el("td", {}, a.startedAt), el("td", {}, a.finishedAt), el("td", {}, said(a.outcome)),
       el("td", {}, shown(a.httpStatus)), el("td", {}, a.code ? el("code", { title: hintOf(a.code) }, a.code) : "-"), el("td", {}, shown(a.detail)))));
  document.querySelector("#carried tbody").replaceChildren(...detail.credentials.map((k) =>
    el("tr", {}, el("td", {}, k.index),
       el("td", {}, k.sealedTo ? el("span", { class: "badge standing-sealed" }, t("sealed to {key}", { key: k.sealedTo })) : shown(k.type)),
       el("td", {}, k.sealedTo ? el("span", { class: "muted" }, t("only the port can open it")) : shown(k.id)))));
  await checkReceipt(detail);
}

// -- live --------------------------------------------------------------------------------------------
async function refresh() {
  try {
    await loadParticipants();
    renderOverview(await getJSON("/v1/dashboard/overview"));
  } catch (error) {
    document.getElementById("state-line").textContent = t("cannot load: {error}", { error: error.message });
  }
}

// A language switch renders everything again, the open consignment too (i18n.js).
onLanguageChange(() => { openStamp = null; refresh(); });
startLanguage();
setInterval(refresh, REFRESH_MS);
