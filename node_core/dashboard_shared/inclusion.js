// A receipt's inclusion proof checked in the browser (RFC 9162 section 2.1.3.2): SHA-256 from WebCrypto, or
// the bundled sha256.js (load it first) where crypto.subtle is absent. verifyInBrowser(detail, tamper) takes
// {leafInput (base64), log: {index, leafHash, inclusionProof, checkpoint}}; tamper flips one byte first,
// to show what a failing proof looks like.
"use strict";

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

async function verifyInBrowser(detail, tamper = false) {
  let input = b64decode(detail.leafInput);
  const proof = detail.log.inclusionProof.map(b64decode);
  if (tamper) {
    if (proof.length) { proof[0] = proof[0].slice(); proof[0][0] ^= 1; } else { input = input.slice(); input[0] ^= 1; }
  }
  const checkpoint = checkpointOf(detail.log.checkpoint);
  const leaf = await leafHash(input);
  if (!equal(leaf, b64decode(detail.log.leafHash))) throw new Error("the leaf input does not hash to the receipt's leafHash");
  const root = await rootFromInclusionProof(detail.log.index, checkpoint.size, leaf, proof);
  if (!equal(root, checkpoint.root)) throw new Error("the proof leads to " + b64encode(root) + ", not to the checkpoint's root");
  return checkpoint;
}
