// Opens a sealed credential the pilot emits, and verifies the credential inside, with code written by others.
// A sealed credential (docs/design.md §4) is a compact JWE (RFC 7516): alg ECDH-ES+A256KW over X25519, enc
// A256GCM, kid the port's keyAgreement key id, plaintext the signed credential's RFC 8785 bytes. It travels as
// {"@context": ..., "type": "EnvelopedVerifiableCredential", "id": "data:application/jose,<JWE>"}.
// The `jose` package (panva) decrypts it with the port's X25519 private key given as a JWK, accepting only that
// alg and enc; the credential inside is then verified against the trust list: an eddsa-jcs-2022 proof with
// Node's Ed25519, the `canonicalize` package (RFC 8785) and `multiformats` (W3C vc-di-eddsa section 3.3), or a
// VC-JOSE-COSE enveloped JWS with `jose`. Nothing here comes from the pilot's Python code.
//
// Usage: node sealed_open.mjs <sealed credential.json> <private key JWK.json> <trust-list.json>
// Prints {"header": {...}, "plaintext": "<decrypted text>", "verified": bool, "issuer": ...} as JSON; a JWE that
// does not open (wrong key, tampered, another algorithm) ends the program with an error.
import { createHash, createPublicKey, verify } from "node:crypto";
import { readFileSync } from "node:fs";
import canonicalize from "canonicalize";
import { compactDecrypt, compactVerify, decodeProtectedHeader, importJWK } from "jose";
import { base58btc } from "multiformats/bases/base58";

const [sealedPath, jwkPath, trustListPath] = process.argv.slice(2);
const sealed = JSON.parse(readFileSync(sealedPath, "utf8"));
const privateJwk = JSON.parse(readFileSync(jwkPath, "utf8"));
const trustList = JSON.parse(readFileSync(trustListPath, "utf8"));

const JWE_PREFIX = "data:application/jose,";
const JWS_PREFIX = "data:application/vc+jwt,";
if (sealed.type !== "EnvelopedVerifiableCredential" || !sealed.id.startsWith(JWE_PREFIX)) {
  throw new Error("not a sealed credential");
}
const jwe = sealed.id.slice(JWE_PREFIX.length);
const key = await importJWK(privateJwk, "ECDH-ES+A256KW");
const { plaintext, protectedHeader } = await compactDecrypt(jwe, key, {
  keyManagementAlgorithms: ["ECDH-ES+A256KW"],
  contentEncryptionAlgorithms: ["A256GCM"],
});
const text = new TextDecoder("utf-8", { fatal: true }).decode(plaintext);
const credential = JSON.parse(text);

function signerOf(verificationMethod) {
  for (const participant of trustList.participants) {
    for (const entry of participant.keys) {
      if (entry.id === verificationMethod) {
        const multikey = base58btc.decode(entry.publicKeyMultibase);
        if (multikey[0] !== 0xed || multikey[1] !== 0x01) throw new Error("not an Ed25519 Multikey");
        const x = Buffer.from(multikey.slice(2)).toString("base64url");
        return { key: createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" }), did: participant.did };
      }
    }
  }
  throw new Error(`no key ${verificationMethod} in the trust list`);
}

const sha256 = (value) => createHash("sha256").update(value, "utf8").digest();
const issuerOf = (document) => document.issuer?.id ?? document.issuer;

async function verifyCredential(document) {
  if (document.type === "EnvelopedVerifiableCredential") {
    if (!document.id.startsWith(JWS_PREFIX)) return { verified: false, issuer: null };
    const jws = document.id.slice(JWS_PREFIX.length);
    const signer = signerOf(decodeProtectedHeader(jws).kid);
    const { payload } = await compactVerify(jws, signer.key, { algorithms: ["EdDSA", "Ed25519"] });
    const inner = JSON.parse(new TextDecoder().decode(payload));
    return { verified: signer.did === issuerOf(inner), issuer: issuerOf(inner) };
  }
  const { proof, ...unsigned } = document;
  const { proofValue, ...proofConfig } = proof;
  proofConfig["@context"] = unsigned["@context"];
  const hashData = Buffer.concat([sha256(canonicalize(proofConfig)), sha256(canonicalize(unsigned))]);
  const signer = signerOf(proof.verificationMethod);
  const verified =
    proof.type === "DataIntegrityProof" &&
    proof.cryptosuite === "eddsa-jcs-2022" &&
    signer.did === issuerOf(unsigned) &&
    verify(null, hashData, signer.key, base58btc.decode(proofValue));
  return { verified, issuer: issuerOf(unsigned) };
}

const { verified, issuer } = await verifyCredential(credential);
console.log(JSON.stringify({ header: protectedHeader, plaintext: text, verified, issuer }));
