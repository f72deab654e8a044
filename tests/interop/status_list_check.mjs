// Verifies a W3C Bitstring Status List credential the pilot publishes and decodes its bitstring, with code
// written by others: Node's crypto (Ed25519) and zlib, the `canonicalize` package (RFC 8785, by one of its
// authors) and the `multiformats` package (multibase base58btc and base64url). Nothing here comes from the
// pilot's Python code; the algorithm is the one the specifications give:
//   eddsa-jcs-2022 (W3C vc-di-eddsa section 3.3): hashData = SHA-256(JCS(proof config)) || SHA-256(JCS(document)),
//   the proof config being the proof without proofValue, with the document's @context;
//   Bitstring Status List v1.0 section 3.2: encodedList = multibase base64url (no padding) of the GZIP-compressed
//   bitstring, index 0 at the most significant bit of the first byte.
//
// Usage: node status_list_check.mjs <status list credential.json> <trust-list.json>
// Prints {"verified": bool, "entries": n, "set": [indexes], "purpose": ..., "issuer": ...} as JSON.
import { createHash, createPublicKey, verify } from "node:crypto";
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import canonicalize from "canonicalize";
import { base58btc } from "multiformats/bases/base58";
import { base64url } from "multiformats/bases/base64";

const [credentialPath, trustListPath] = process.argv.slice(2);
const credential = JSON.parse(readFileSync(credentialPath, "utf8"));
const trustList = JSON.parse(readFileSync(trustListPath, "utf8"));

function publicKeyOf(verificationMethod) {
  for (const participant of trustList.participants) {
    for (const key of participant.keys) {
      if (key.id === verificationMethod) {
        const multikey = base58btc.decode(key.publicKeyMultibase);
        if (multikey[0] !== 0xed || multikey[1] !== 0x01) throw new Error("not an Ed25519 Multikey");
        const x = Buffer.from(multikey.slice(2)).toString("base64url");
        return { key: createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" }), did: participant.did };
      }
    }
  }
  throw new Error(`no key ${verificationMethod} in the trust list`);
}

const sha256 = (text) => createHash("sha256").update(text, "utf8").digest();

const { proof, ...document } = credential;
const { proofValue, ...proofConfig } = proof;
proofConfig["@context"] = document["@context"];
const hashData = Buffer.concat([sha256(canonicalize(proofConfig)), sha256(canonicalize(document))]);
const signer = publicKeyOf(proof.verificationMethod);
const verified =
  proof.type === "DataIntegrityProof" &&
  proof.cryptosuite === "eddsa-jcs-2022" &&
  signer.did === (document.issuer.id ?? document.issuer) &&
  verify(null, hashData, signer.key, base58btc.decode(proofValue));

const bits = gunzipSync(base64url.decode(document.credentialSubject.encodedList));
const set = [];
for (let index = 0; index < bits.length * 8; index++) {
  if (bits[index >> 3] & (0x80 >> (index & 7))) set.push(index);
}
console.log(
  JSON.stringify({
    verified,
    entries: bits.length * 8,
    set,
    purpose: document.credentialSubject.statusPurpose,
    issuer: document.issuer.id ?? document.issuer,
  }),
);
