// Seals a credential to a port's key-agreement key with code written by others, as docs/design.md §4 describes,
// so that the pilot's opener (schemas.sealing.open_sealed) can be shown to open what another library makes.
// The `jose` package (panva) encrypts the credential's RFC 8785 bytes (the `canonicalize` package) to the port's
// X25519 public key given as a JWK: a compact JWE with alg ECDH-ES+A256KW, enc A256GCM (or the one given, to
// check that the pilot refuses another), kid, typ JOSE, cty vc. Nothing here comes from the pilot's Python code.
//
// Usage: node sealed_seal.mjs <credential.json> <public key JWK.json> <kid> [enc]
// Prints the sealed credential's JSON form:
// {"@context": "https://www.w3.org/ns/credentials/v2", "type": "EnvelopedVerifiableCredential",
//  "id": "data:application/jose,<JWE>"}.
import { readFileSync } from "node:fs";
import canonicalize from "canonicalize";
import { CompactEncrypt, importJWK } from "jose";

const [credentialPath, jwkPath, kid, enc = "A256GCM"] = process.argv.slice(2);
const credential = JSON.parse(readFileSync(credentialPath, "utf8"));
const publicJwk = JSON.parse(readFileSync(jwkPath, "utf8"));

const key = await importJWK(publicJwk, "ECDH-ES+A256KW");
const jwe = await new CompactEncrypt(new TextEncoder().encode(canonicalize(credential)))
  .setProtectedHeader({ alg: "ECDH-ES+A256KW", enc, kid, typ: "JOSE", cty: "vc" })
  .encrypt(key);
console.log(
  JSON.stringify({
    "@context": "https://www.w3.org/ns/credentials/v2",
    type: "EnvelopedVerifiableCredential",
    id: `data:application/jose,${jwe}`,
  }),
);
