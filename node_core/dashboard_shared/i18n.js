// The dashboards' language switch (docs/design.md "Languages"): t(id, values) gives the English message id in
// the chosen language, its {named} placeholders filled with values; an element marked data-i18n has its own
// text as the id, and so is the page's <title>. The catalogue comes whole from GET /dashboard/messages/<lang> (public, cached with an ETag).
// The language is the one chosen before (localStorage), else the first of navigator.languages the pilot
// speaks, else English; switching loads that catalogue, sets <html lang>, the names' language (names.js) and
// calls every onLanguageChange listener to render again, without a reload. Codes, ids and digests are data:
// they never go through t().
"use strict";

const I18N_LANGUAGES = [["en", "English"], ["ru", "Русский"], ["zh", "中文"]];
const I18N_STORAGE_KEY = "pilot-dashboard-language";
let i18nLanguage = "en";
let i18nMessages = {};
const i18nListeners = [];

// Marks a message id for the extraction (node_core/i18n_extract.py) where it is translated later by t().
function N_(id) { return id; }

function t(id, values) {
  const template = i18nMessages[id] || id;
  if (!values) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

// The pilot's language for a language tag (its primary subtag), or null.
function i18nLanguageOf(tag) {
  const primary = String(tag || "").split(/[-_]/)[0].toLowerCase();
  return I18N_LANGUAGES.some(([code]) => code === primary) ? primary : null;
}

// The language to start in: the stored choice, else the browser's first of ours, else English.
function preferredLanguage(stored, browserTags) {
  return i18nLanguageOf(stored) || (browserTags || []).map(i18nLanguageOf).find(Boolean) || "en";
}

function onLanguageChange(listener) { i18nListeners.push(listener); }

let i18nTitle = null; // the page's <title> in English, its message id

function translateStatic(root) {
  if (i18nTitle === null) i18nTitle = document.title;
  document.title = t(i18nTitle);
  for (const node of root.querySelectorAll("[data-i18n]")) {
    if (!node.getAttribute("data-i18n")) node.setAttribute("data-i18n", node.textContent.replace(/\s+/g, " ").trim());
    node.textContent = t(node.getAttribute("data-i18n"));
  }
}

async function setLanguage(language) {
  const chosen = i18nLanguageOf(language) || "en";
  try {
    const response = await fetch(`/dashboard/messages/${chosen}`, { credentials: "same-origin" });
    if (!response.ok) throw new Error("HTTP " + response.status);
    i18nMessages = (await response.json()).messages;
    i18nLanguage = chosen;
  } catch (error) {
    i18nMessages = {}; // the English ids themselves
    i18nLanguage = "en";
  }
  try { localStorage.setItem(I18N_STORAGE_KEY, chosen); } catch (error) { /* storage refused: not remembered */ }
  document.documentElement.lang = i18nLanguage;
  if (typeof setNameLanguages === "function") setNameLanguages([i18nLanguage]);
  translateStatic(document);
  const picker = document.getElementById("language");
  if (picker) picker.value = i18nLanguage;
  for (const listener of i18nListeners) listener(i18nLanguage);
}

// Fills the header's <select id="language"> (each language in its own name) and loads the starting language.
async function startLanguage() {
  let stored = null;
  try { stored = localStorage.getItem(I18N_STORAGE_KEY); } catch (error) { /* no storage */ }
  const picker = document.getElementById("language");
  if (picker) {
    picker.replaceChildren(...I18N_LANGUAGES.map(([code, name]) => {
      const option = document.createElement("option");
      option.value = code;
      option.textContent = name;
      return option;
    }));
    picker.addEventListener("change", () => setLanguage(picker.value));
  }
  await setLanguage(preferredLanguage(stored, navigator.languages));
}

// Loaded as a module (Node.js, in the tests), the pure parts are exported; in a page this does nothing.
if (typeof module !== "undefined") {
  module.exports = { t, preferredLanguage, i18nLanguageOf };
}
