// Names in the viewer's language. A record or the trust list gives a plain "name" (in its own script) and, for
// a name with several languages, "names": VC 2.0 language value objects ({"@value", "@language"[, "@direction"]}).
// chooseName picks the form to show as schemas/names.py does (a test holds both to the same answers):
// RFC 4647 section 3.4 lookup of the viewer's language ranges, else the English form, else the first in Latin
// script, else the plain name. nameElement shows it with its lang and dir, and every other form in its title
// (the plain name too, tagged "und", when it is none of the forms).
// Texts are shown exactly as they came: no normalisation, no transliteration. The viewer's ranges are the
// browser's (navigator.languages) until a language switch calls setNameLanguages([...]) and renders again.
// participantElement names a participant (short id or DID) from the node's trust list (loadParticipants).
"use strict";

let nameRanges = null;
let participantIndex = new Map();
let participantsLoadedAt = 0;
const PARTICIPANTS_TTL_MS = 60000;

function setNameLanguages(ranges) {
  nameRanges = ranges && ranges.length ? [...ranges] : null;
}

function viewerLanguages() {
  if (nameRanges) return nameRanges;
  if (typeof navigator !== "undefined" && navigator.languages && navigator.languages.length) return [...navigator.languages];
  return [];
}

// RFC 4647 section 3.4: drop the last subtag, and a single-character subtag left at the end with it.
function truncatedRange(range) {
  let head = range.includes("-") ? range.slice(0, range.lastIndexOf("-")) : "";
  if (head.length >= 2 && head[head.length - 2] === "-") head = head.slice(0, -2);
  return head;
}

function lookupTag(tags, ranges) {
  const lowered = tags.map((t) => t.toLowerCase());
  for (const range of ranges) {
    let candidate = String(range).trim().toLowerCase();
    while (candidate && candidate !== "*") {
      const index = lowered.indexOf(candidate);
      if (index >= 0) return index;
      candidate = truncatedRange(candidate);
    }
  }
  return null;
}

function nameForms(names) {
  const list = Array.isArray(names) ? names : [];
  return list
    .filter((n) => n && typeof n["@value"] === "string" && typeof n["@language"] === "string")
    .map((n) => ({ tag: n["@language"], value: n["@value"], direction: typeof n["@direction"] === "string" ? n["@direction"] : null }));
}

function fallbackForm(forms) {
  const english = forms.findIndex((f) => f.tag.toLowerCase() === "en" || f.tag.toLowerCase().startsWith("en-"));
  if (english >= 0) return english;
  const latin = forms.findIndex((f) => f.tag.toLowerCase().split("-").slice(1).includes("latn"));
  return latin >= 0 ? latin : null;
}

// {value, language, direction, others: [[tag, value], ...]} for a plain name and its language values.
function chooseName(name, names, ranges) {
  const forms = nameForms(names);
  let index = lookupTag(forms.map((f) => f.tag), ranges || viewerLanguages());
  if (index === null) index = fallbackForm(forms);
  if (index === null) {
    const plain = typeof name === "string" ? name : "";
    return { value: plain, language: null, direction: null, others: forms.filter((f) => f.value !== plain).map((f) => [f.tag, f.value]) };
  }
  const chosen = forms[index];
  const others = forms.filter((_, i) => i !== index).map((f) => [f.tag, f.value]);
  if (typeof name === "string" && !forms.some((f) => f.value === name)) others.push(["und", name]);
  return { value: chosen.value, language: chosen.tag, direction: chosen.direction, others };
}

function nameElement(name, names, ranges) {
  const chosen = chooseName(name, names, ranges);
  if (!chosen.value) return el("span", { class: "muted" }, "-");
  const attrs = { class: "name" };
  if (chosen.language) attrs.lang = chosen.language;
  if (chosen.direction) attrs.dir = chosen.direction;
  if (chosen.others.length) attrs.title = chosen.others.map(([tag, value]) => `${value} [${tag}]`).join("\n");
  return el("span", attrs, chosen.value);
}

async function loadParticipants(force) {
  if (!force && Date.now() - participantsLoadedAt < PARTICIPANTS_TTL_MS) return;
  try {
    const list = await getJSON("/v1/trust-list");
    const index = new Map();
    for (const p of list.participants || []) {
      index.set(p.id, p);
      index.set(p.did, p);
    }
    participantIndex = index;
    participantsLoadedAt = Date.now();
  } catch (error) {
    participantsLoadedAt = Date.now(); // names are a nicety: ids still show; try again after the TTL
  }
}

// A participant's name in the viewer's language (empty when the trust list does not name it).
function participantNameElement(id) {
  const p = participantIndex.get(id);
  return p && typeof p.name === "string" ? nameElement(p.name, p.names) : el("span", {});
}

// The participant's id, then its name in the viewer's language (the id alone when the trust list has none).
function participantElement(id) {
  const p = participantIndex.get(id);
  if (!p || typeof p.name !== "string") return el("span", {}, id === null || id === undefined ? "-" : String(id));
  return el("span", { class: "participant" }, el("span", { class: "participant-id" }, p.id), " ", participantNameElement(id));
}

if (typeof module !== "undefined") {
  module.exports = { chooseName, lookupTag, truncatedRange, setNameLanguages, viewerLanguages };
}
