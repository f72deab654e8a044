// Opens the sealed credentials of a published submission vector with code written by others.
// A sealed credential (docs/design.md §4) travels in a submission's "credentials" as
// {"@context": ..., "type": "EnvelopedVerifiableCredential", "id": "data:application/jose,<JWE>"}: a compact JWE
// (RFC 7516), alg ECDH-ES+A256KW over X25519, enc A256GCM, kid the port's keyAgreement key id. The port's private
// key is read from the published keyring file (schemas/vectors/keys/<port>.pem: PKCS#8 PEM blocks, each after a
// comment line "# <key id> <purposes>") and imported with the `jose` package (panva), which decrypts accepting only
// that alg and enc. Nothing here comes from the pilot's Python code.
//
// Usage: node sealed_vector_open.mjs <submission.json> <keyring.pem>
// Prints {"opened": [{"index", "kid", "header", "plaintext"}]} as JSON, one item per sealed credential; a JWE that
// does not open, or whose kid names no block of the keyring, ends the program with an error.
import { readFileSync } from "node:fs";
import { compactDecrypt, decodeProtectedHeader, importPKCS8 } from "jose";

const [submissionPath, keyringPath] = process.argv.slice(2);
const submission = JSON.parse(readFileSync(submissionPath, "utf8"));
const keyring = readFileSync(keyringPath, "ascii");

const JWE_PREFIX = "data:application/jose,";
const ALG = "ECDH-ES+A256KW";

// RFC 7468 text outside the PEM blocks is ignored by PEM readers; the pilot's comment line names each key.
function pemOf(kid) {
  const blocks = keyring.matchAll(/^# (\S+) (\S+)\n(-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+?-----END PRIVATE KEY-----\n)/gm);
  for (const [, id, purposes, pem] of blocks) {
    if (id === kid && purposes.split(",").includes("keyAgreement")) return pem;
  }
  throw new Error(`no keyAgreement key ${kid} in ${keyringPath}`);
}

const opened = [];
for (const [index, credential] of submission.credentials.entries()) {
  if (credential.type !== "EnvelopedVerifiableCredential" || !credential.id.startsWith(JWE_PREFIX)) continue;
  const jwe = credential.id.slice(JWE_PREFIX.length);
  const { kid } = decodeProtectedHeader(jwe);
  const key = await importPKCS8(pemOf(kid), ALG);
  const { plaintext, protectedHeader } = await compactDecrypt(jwe, key, {
    keyManagementAlgorithms: [ALG],
    contentEncryptionAlgorithms: ["A256GCM"],
  });
  const text = new TextDecoder("utf-8", { fatal: true }).decode(plaintext);
  opened.push({ index, kid, header: protectedHeader, plaintext: text });
}
console.log(JSON.stringify({ opened }));
