"""The evidence bundle's file format: a deterministic zip of canonical files with a digest manifest.

Layout (every JSON file is RFC 8785 canonical, so its bytes are fixed by its content):

- ``bundle.json``: what the bundle is about (consignment id, exporter, port, log origin);
- ``submission.json``: the submission as sent (its manifest and credentials);
- ``receipt.json``: the port's signed receipt, byte for byte as served;
- ``epcis.json`` (when the exporter gives one): the submission's traceability events as a GS1 EPCIS 2.0
  ``EPCISDocument``, as the exporter serves it; ``verify`` checks it is exactly their mapping;
- ``log/entry.json``: the public log entry; ``log/inclusion-proof.json``: ``{"index", "size", "proof"}``;
- ``log/checkpoint-receipt.txt``: the receipt's checkpoint; ``log/checkpoint-latest.txt``: a later
  checkpoint with the witnesses' cosignatures; ``log/consistency-proof.json``: ``{"first", "second", "proof"}``;
- ``trust/trust-list.json``: the trust list in force; ``trust/trust-anchor.json``: a reference copy
  of the anchor (verification uses the anchor pinned on the command line, never this copy);
- ``status/<issuer>/<list>/<sequence>.json`` (``status_member``): each status list credential version the
  receipt's ``statusLists`` names (docs/design.md §12), byte for byte as the registry serves it (its
  digest is over its RFC 8785 form, so these bytes need not be canonical); none for a receipt without
  ``statusLists`` (one made before status lists were checked, or one where no list could be had);
- ``manifest.json``: ``{"bundleVersion": 1, "files": {name: "sha-256:<hex>"}}`` over every other file.

At most ``MAX_MEMBERS`` members: a dozen fixed files plus one per status list version, and a receipt
names about one version per list its credentials cite (two purposes, a generation or two, a dozen
issuers), so ``MAX_STATUS_LISTS`` leaves room to spare.

The zip stores (no compression: deflate output depends on the zlib build) members in name order with
a fixed timestamp and mode, so ``zip_files`` of a bundle's members rebuilds the bundle byte for byte;
``verify`` uses that to refuse any change, including one in bytes the zip format itself ignores.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping

from pilot.audit.errors import EvidenceError
from schemas.canonical import canonicalize
from schemas.digest import sha256_digest
from schemas.status_list import split_status_list_url

__all__ = [
    "BUNDLE_VERSION",
    "EPCIS_FILE",
    "MANIFEST",
    "MAX_MEMBERS",
    "MAX_STATUS_LISTS",
    "STATUS_DIR",
    "build_bundle",
    "manifest_of",
    "read_bundle",
    "status_member",
    "zip_files",
]

BUNDLE_VERSION = 1
MANIFEST = "manifest.json"
#: The optional EPCIS 2.0 document of the consignment's traceability events.
EPCIS_FILE = "epcis.json"
#: The folder of the status list versions the decision relied on.
STATUS_DIR = "status"
#: The most members a bundle may have (see the module doc).
MAX_MEMBERS = 256
#: The most status list versions a bundle may hold: what ``MAX_MEMBERS`` leaves beside the fixed files.
MAX_STATUS_LISTS = MAX_MEMBERS - 32
_EPOCH = (1980, 1, 1, 0, 0, 0)
_MODE = 0o100644 << 16
_MAX_BYTES = 64 * 1024 * 1024


def status_member(url: str, sequence: int) -> str | None:
    """The bundle member holding version ``sequence`` of the status list ``url``; None for a URL that is
    not a pilot status list (its issuer and list id are the member's folders, so nothing else can be)."""
    parts = split_status_list_url(url)
    if parts is None or isinstance(sequence, bool) or not isinstance(sequence, int) or sequence < 0:
        return None
    issuer, list_name = parts
    return f"{STATUS_DIR}/{issuer}/{list_name}/{sequence}.json"


def manifest_of(files: Mapping[str, bytes]) -> bytes:
    """The canonical ``manifest.json`` for ``files`` (which must not include it)."""
    return canonicalize(
        {"bundleVersion": BUNDLE_VERSION, "files": {name: sha256_digest(files[name]) for name in sorted(files)}}
    )


def zip_files(files: Mapping[str, bytes]) -> bytes:
    """The deterministic zip of ``files``: sorted names, stored, fixed time and mode, no comments."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3
            info.external_attr = _MODE
            archive.writestr(info, files[name])
    return buffer.getvalue()


def build_bundle(files: Mapping[str, bytes]) -> bytes:
    """The bundle zip: ``files`` plus their ``manifest.json``."""
    if MANIFEST in files:
        raise ValueError("the manifest is computed, not given")
    return zip_files({**files, MANIFEST: manifest_of(files)})


def read_bundle(data: bytes) -> dict[str, bytes]:
    """Every member of a bundle zip; EvidenceError naming why it cannot be read (CRC, structure, size)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_MEMBERS:
                raise EvidenceError(f"the bundle has {len(infos)} members, more than {MAX_MEMBERS}")
            if sum(info.file_size for info in infos) > _MAX_BYTES:
                raise EvidenceError("the bundle's members are larger than 64 MiB in total")
            files: dict[str, bytes] = {}
            for info in infos:
                if info.filename in files:
                    raise EvidenceError(f"the bundle holds {info.filename!r} twice")
                files[info.filename] = archive.read(info)
            return files
    except EvidenceError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise EvidenceError(f"the bundle is not a readable zip file: {exc}") from exc
    except Exception as exc:  # zipfile raises assorted errors on crafted input (struct.error, KeyError...)
        raise EvidenceError(f"the bundle is not a readable zip file: {type(exc).__name__}: {exc}") from exc
