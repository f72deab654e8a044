"""Publishing the status lists kept in a data directory to a registry (``pilot up``, and commands that reuse it).

docs/design.md §12. ``pilot init`` signs every issuer's generation-0 lists into
``<data dir>/status-lists/<issuer>/<list>.json`` (``pilot.status_files``), and the issuers that
are not nodes (``cert-01``, ``cert-02``, ``ru-vet``) keep their current lists there too. The registry
takes a list only from its issuer, so each file is posted signed by its issuer: the first key with
purpose ``authentication`` in ``<data dir>/keys/<issuer>.pem`` (decrypted with ``PILOT_KEY_PASSPHRASE``
when it is set). A version the registry already holds answers 200, which is success: publishing a data
directory again is harmless. So is a file the registry has a newer version of (409
``STATUS_LIST_OUT_OF_ORDER``: the issuer published since): it is reported ``superseded``, not failed.

``publish_data_dir_lists`` never raises for one list: each file's outcome is reported, so that one bad
file does not keep the others from the registry. ``python -m pilot.status_publishing --data-dir D
--registry URL`` does the same from a shell (the compose deployment's one-shot publisher).
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx

from node_core.status_publish import Published, PublishError, PublishRefused, publish_status_list
from pilot.status_files import StatusListFileError, read_status_list_file, status_list_files
from schemas.codes import Code
from schemas.errors import KeyFormatError
from schemas.keyring import KeyEntry, load_keyring
from schemas.phrase import Phrase
from schemas.status_list import split_status_list_url

__all__ = ["ListPublication", "issuer_key", "main", "publish_data_dir_lists"]

#: Seconds to wait for the registry's answer to one list.
TIMEOUT_S = 10.0


@dataclass(frozen=True)
class ListPublication:
    """What became of one status list file: the registry's answer, or why it was not published."""

    path: Path
    issuer: str | None
    list_id: str | None
    published: Published | None = None
    #: Why it was not published: the registry's answer as it is, or our phrase (``str()``: English, as ``pilot up
    #: --format json`` gives it; ``pilot up`` shows it in its language).
    error: Phrase | str | None = None
    #: The registry's problem code when it refused the file.
    code: str | None = None

    @property
    def superseded(self) -> bool:
        """True when the registry holds a newer version of this list than the file."""
        return self.code == Code.STATUS_LIST_OUT_OF_ORDER

    @property
    def ok(self) -> bool:
        """True when the registry holds this version (201 new, 200 already held) or a newer one."""
        return self.published is not None or self.superseded


def issuer_key(data_dir: Path, issuer: str) -> KeyEntry:
    """The first ``authentication`` key in ``<data dir>/keys/<issuer>.pem``; ``KeyFormatError``/``OSError`` else."""
    passphrase = os.environ.get("PILOT_KEY_PASSPHRASE")
    entries = load_keyring(
        (Path(data_dir) / "keys" / f"{issuer}.pem").read_bytes(), passphrase.encode() if passphrase else None
    )
    for entry in entries:
        if "authentication" in entry.purposes:
            return entry
    raise KeyFormatError(f"no key with purpose 'authentication' in {issuer}'s keyring")


def _publish_one(
    client: httpx.Client, data_dir: Path, registry_url: str, path: Path, keys: dict[str, KeyEntry]
) -> ListPublication:
    try:
        credential = read_status_list_file(path)
    except StatusListFileError as exc:
        return ListPublication(path, None, None, error=Phrase("cannot read the file: {problem}", problem=exc.phrase))
    ident = credential.get("id")
    names = split_status_list_url(ident) if isinstance(ident, str) else None
    if names is None:
        return ListPublication(path, None, None, error=Phrase("not a status list credential of the pilot (its id)"))
    issuer, list_id = names
    try:
        if issuer not in keys:
            keys[issuer] = issuer_key(data_dir, issuer)
        published = publish_status_list(client, registry_url, credential, keys[issuer])
    except (OSError, KeyFormatError) as exc:
        return ListPublication(path, issuer, list_id, error=Phrase("no key to sign with: {problem}", problem=exc))
    except PublishRefused as exc:
        return ListPublication(path, issuer, list_id, error=str(exc), code=exc.code)
    except PublishError as exc:
        return ListPublication(path, issuer, list_id, error=str(exc))
    return ListPublication(path, issuer, list_id, published=published)


def publish_data_dir_lists(
    data_dir: Path, registry_url: str, *, client: httpx.Client | None = None
) -> list[ListPublication]:
    """Post every status list file of ``data_dir`` to the registry at ``registry_url``; one outcome per file.

    ``client`` replaces the HTTP client (tests: an in-process registry over ``httpx.ASGITransport``).
    """
    keys: dict[str, KeyEntry] = {}
    files = status_list_files(data_dir)
    if client is not None:
        return [_publish_one(client, data_dir, registry_url, path, keys) for path in files]
    with httpx.Client(timeout=TIMEOUT_S, trust_env=False) as own:
        return [_publish_one(own, data_dir, registry_url, path, keys) for path in files]


def main(argv: list[str] | None = None) -> None:
    """``python -m pilot.status_publishing --data-dir D --registry URL``: exit 1 when a list is not held."""
    parser = argparse.ArgumentParser(prog="python -m pilot.status_publishing", description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True, help="the data dir (pilot init)")
    parser.add_argument("--registry", required=True, help="the registry's base URL, e.g. http://127.0.0.1:8120")
    arguments = parser.parse_args(argv)
    outcomes = publish_data_dir_lists(arguments.data_dir, arguments.registry)
    for outcome in outcomes:
        if outcome.published is not None:
            verb = "published" if outcome.published.status == 201 else "already held"
            print(f"{verb}: {outcome.issuer}/{outcome.list_id} version {outcome.published.sequence}")
        elif outcome.superseded:
            print(f"superseded: {outcome.issuer}/{outcome.list_id}: the registry holds a newer version")
        else:
            print(f"NOT published: {outcome.path}: {outcome.error}", file=sys.stderr)
    raise SystemExit(0 if all(o.ok for o in outcomes) else 1)


if __name__ == "__main__":
    main()
