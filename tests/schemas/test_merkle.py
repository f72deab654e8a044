"""RFC 9162 Merkle trees: published known answers, then MerkleTree against the reference for every size."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.codes import Code
from schemas.errors import VerificationError
from schemas.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    leaf_hash,
    node_hash,
    reference_consistency_proof,
    reference_inclusion_proof,
    root_from_inclusion_proof,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)
from tests.support.files import asset

VECTORS: dict[str, Any] = json.loads(asset("rfc9162/vectors.json").read_text(encoding="utf-8"))
KAT_LEAVES = [leaf_hash(bytes.fromhex(x)) for x in VECTORS["leaves"]]
KAT_ROOTS = {int(size): bytes.fromhex(root) for size, root in VECTORS["roots"].items()}

MAX_SIZE = 300
#: Deterministic leaf hashes shared by the property tests: leaf i is MTH({i as 4 bytes}).
LEAVES = [leaf_hash(i.to_bytes(4, "big")) for i in range(MAX_SIZE)]
TREE = MerkleTree(LEAVES)
SOME_HASH = hashlib.sha256(b"some other hash").digest()


def _hexes(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


def _flip(proof: list[bytes], i: int, bit: int = 0) -> list[bytes]:
    changed = list(proof)
    element = bytearray(changed[i])
    element[bit // 8] ^= 1 << (bit % 8)
    changed[i] = bytes(element)
    return changed


def _rejects(check: Callable[[], object]) -> VerificationError:
    with pytest.raises(VerificationError) as info:
        check()
    assert info.value.code == Code.MERKLE_PROOF_INVALID
    return info.value


@cache
def _ref_root(lo: int, hi: int) -> bytes:
    return root_from_leaf_hashes(LEAVES[lo:hi])


# ---------------------------------------------------------------------------------------------------
# Known answers (tests/data/rfc9162/vectors.json).
# ---------------------------------------------------------------------------------------------------


def test_hash_known_answers() -> None:
    hashes = VECTORS["hashes"]
    assert bytes.fromhex(hashes["empty_root"]) == EMPTY_ROOT == root_from_leaf_hashes([])
    assert MerkleTree().root() == EMPTY_ROOT
    for case in hashes["leaf"]:
        assert leaf_hash(bytes.fromhex(case["input"])).hex() == case["hash"]
    for case in hashes["node"]:
        assert node_hash(bytes.fromhex(case["left"]), bytes.fromhex(case["right"])).hex() == case["hash"]
    # Domain separation: a leaf is not the node of its halves, and order matters.
    a, b = KAT_LEAVES[1], KAT_LEAVES[2]
    assert leaf_hash(a + b) != node_hash(a, b) != node_hash(b, a)


@pytest.mark.parametrize("size", range(1, 9))
def test_known_roots(size: int) -> None:
    assert root_from_leaf_hashes(KAT_LEAVES[:size]) == KAT_ROOTS[size]
    tree = MerkleTree(KAT_LEAVES)
    assert tree.root(size) == KAT_ROOTS[size]


def _published(case: dict[str, Any], first: str, size: str, tree_proof: Any, reference_proof: Any) -> tuple[int, int]:
    """The case's two numbers, once ``MerkleTree`` and the reference both produce its published proof."""
    a, b, proof = case[first], case[size], _hexes(case["proof"])
    assert tree_proof(MerkleTree(KAT_LEAVES), a, b) == proof
    assert reference_proof(KAT_LEAVES[:b], a) == proof
    return a, b


def _each_changed(good: tuple[Any, ...], changes: dict[int, list[Any]]) -> list[tuple[Any, ...]]:
    """``good`` with one argument replaced: by each of ``changes[i]`` at position ``i``."""
    return [(*good[:i], value, *good[i + 1 :]) for i, values in changes.items() for value in values]


def _all_rejected(verify: Callable[..., None], bad: list[tuple[Any, ...]]) -> None:
    for args in bad:
        _rejects(lambda args=args: verify(*args))  # type: ignore[misc]


@pytest.mark.parametrize("case", VECTORS["inclusion"], ids=lambda c: f"{c['index']}-{c['size']}")
def test_known_inclusion_proofs(case: dict[str, Any]) -> None:
    index, size = _published(case, "index", "size", MerkleTree.inclusion_proof, reference_inclusion_proof)
    proof, root, leaf = _hexes(case["proof"]), KAT_ROOTS[size], KAT_LEAVES[index]
    verify_inclusion(index, size, leaf, proof, root)
    # The corruptions the Go test suite probes, applied to each published proof.
    longer, shorter = [[*proof, root], [root, *proof]], [proof[:-1]] if proof else []
    bad = _each_changed(
        (index, size, leaf, proof, root),
        {
            0: [index + 1, index ^ 2, *([index - 1] if index > 0 else [])],
            1: [size * 2, size // 2],
            2: [SOME_HASH],
            3: [*longer, *(_flip(proof, i, 3) for i in range(len(proof))), *shorter],
            4: [EMPTY_ROOT],
        },
    )
    _all_rejected(verify_inclusion, bad)


@pytest.mark.parametrize("case", VECTORS["consistency"], ids=lambda c: f"{c['first']}-{c['second']}")
def test_known_consistency_proofs(case: dict[str, Any]) -> None:
    first, second = _published(case, "first", "second", MerkleTree.consistency_proof, reference_consistency_proof)
    proof, root1, root2 = _hexes(case["proof"]), KAT_ROOTS[first], KAT_ROOTS[second]
    verify_consistency(first, second, root1, root2, proof)
    if not proof:
        return
    changed = [[], [*proof, root1], [root2, *proof], [proof[0], *proof], proof[:-1]]
    bad = _each_changed(
        (first, second, root1, root2, proof),
        {
            0: [first - 1, first + 1, first ^ 2],
            1: [second * 2, second // 2],
            2: [SOME_HASH],
            3: [SOME_HASH],
            4: [*changed, *(_flip(proof, i, 4) for i in range(len(proof)))],
        },
    )
    _all_rejected(verify_consistency, [*bad, (first, second, root2, root1, proof)])


# ---------------------------------------------------------------------------------------------------
# Edge cases and messages.
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("index", "size", "message"),
    [
        (0, 0, "outside a tree of size 0"),
        (1, 1, "outside a tree of size 1"),
        (5, 3, "outside a tree of size 3"),
        (-1, 3, "negative"),
    ],
)
def test_inclusion_index_out_of_range(index: int, size: int, message: str) -> None:
    error = _rejects(lambda: verify_inclusion(index, size, SOME_HASH, [], SOME_HASH))
    assert message in str(error)


def test_inclusion_messages() -> None:
    proof = TREE.inclusion_proof(3, 10)
    root = TREE.root(10)
    assert "has 3 hashes, expected 4" in str(_rejects(lambda: verify_inclusion(3, 10, LEAVES[3], proof[:3], root)))
    assert "leads to root" in str(_rejects(lambda: verify_inclusion(3, 10, LEAVES[4], proof, root)))
    assert "proof element 1 is 31 bytes" in str(
        _rejects(lambda: verify_inclusion(3, 10, LEAVES[3], [proof[0], proof[1][:31], *proof[2:]], root))
    )
    assert "leaf hash is 0 bytes" in str(_rejects(lambda: verify_inclusion(3, 10, b"", proof, root)))
    assert "root hash is 4 bytes" in str(_rejects(lambda: verify_inclusion(3, 10, LEAVES[3], proof, b"root")))
    assert root_from_inclusion_proof(3, 10, LEAVES[3], proof) == root


def test_single_leaf_tree() -> None:
    verify_inclusion(0, 1, LEAVES[0], [], LEAVES[0])
    _rejects(lambda: verify_inclusion(0, 1, LEAVES[0], [], LEAVES[1]))
    _rejects(lambda: verify_inclusion(0, 1, LEAVES[0], [LEAVES[1]], LEAVES[0]))


def test_trivial_consistency() -> None:
    # docs/design.md §4: from 0, or between equal sizes, the proof is [].
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    verify_consistency(0, 7, EMPTY_ROOT, TREE.root(7), [])
    verify_consistency(7, 7, TREE.root(7), TREE.root(7), [])
    assert TREE.consistency_proof(0, 7) == TREE.consistency_proof(7, 7) == []
    assert "must be empty" in str(_rejects(lambda: verify_consistency(0, 7, EMPTY_ROOT, TREE.root(7), [SOME_HASH])))
    assert "must be empty" in str(_rejects(lambda: verify_consistency(7, 7, TREE.root(7), TREE.root(7), [SOME_HASH])))
    assert "roots differ" in str(_rejects(lambda: verify_consistency(7, 7, TREE.root(7), TREE.root(8), [])))
    assert "empty-tree root" in str(_rejects(lambda: verify_consistency(0, 7, SOME_HASH, TREE.root(7), [])))
    assert "larger than second" in str(_rejects(lambda: verify_consistency(8, 7, TREE.root(8), TREE.root(7), [])))
    assert "negative" in str(_rejects(lambda: verify_consistency(-1, 7, EMPTY_ROOT, TREE.root(7), [])))
    assert "has 0 hashes, expected" in str(_rejects(lambda: verify_consistency(3, 7, TREE.root(3), TREE.root(7), [])))


def test_tree_rejects_bad_arguments() -> None:
    tree = MerkleTree(LEAVES[:10])
    with pytest.raises(ValueError, match=r"outside 0\.\.10"):
        tree.root(11)
    with pytest.raises(ValueError, match="outside a tree of size 4"):
        tree.inclusion_proof(4, 4)
    with pytest.raises(ValueError, match="larger than second"):
        tree.consistency_proof(5, 4)
    with pytest.raises(ValueError, match="negative"):
        tree.consistency_proof(-1, 4)
    with pytest.raises(IndexError):
        tree.leaf(10)
    with pytest.raises(ValueError, match="31 bytes"):
        tree.append(b"\x00" * 31)
    with pytest.raises(ValueError, match="leaf hash 1 is 33 bytes"):
        tree.extend([LEAVES[0], b"\x00" * 33])
    assert tree.size == len(tree) == 10
    with pytest.raises(ValueError):
        reference_inclusion_proof(LEAVES[:3], 3)
    with pytest.raises(ValueError):
        reference_consistency_proof(LEAVES[:3], 4)


def test_append_and_extend_agree() -> None:
    appended = MerkleTree()
    for i, h in enumerate(LEAVES):
        assert appended.append(h) == i
        assert appended.size == i + 1
    extended = MerkleTree()
    extended.extend(LEAVES[:1])
    extended.extend(LEAVES[1:77])
    extended.extend([])
    extended.extend(LEAVES[77:])
    assert appended.root() == extended.root() == TREE.root()
    assert [appended.leaf(i) for i in range(MAX_SIZE)] == [extended.leaf(i) for i in range(MAX_SIZE)] == LEAVES
    for size in range(MAX_SIZE + 1):
        assert appended.root(size) == extended.root(size)


@pytest.mark.parametrize("size", [0, 1, 2, 3, 64, 65, 127, 200])
def test_a_truncated_tree_is_the_tree_of_its_first_leaves_and_grows_again(size: int) -> None:
    tree = MerkleTree(LEAVES)
    tree.truncate(size)
    smaller = MerkleTree(LEAVES[:size])
    assert tree.size == size
    assert [bytes(level) for level in tree._levels] == [bytes(level) for level in smaller._levels]
    assert tree.root() == _ref_root(0, size)
    if size:
        assert tree.inclusion_proof(size - 1) == smaller.inclusion_proof(size - 1)
    other = [leaf_hash(b"other" + bytes([i])) for i in range(9)]  # staged again with other leaves
    tree.extend(other)
    assert tree.root() == root_from_leaf_hashes(LEAVES[:size] + other)
    with pytest.raises(ValueError, match="outside"):
        tree.truncate(tree.size + 1)


# ---------------------------------------------------------------------------------------------------
# MerkleTree against the reference, for every size 1..300.
# ---------------------------------------------------------------------------------------------------


def test_every_root_matches_reference() -> None:
    for size in range(MAX_SIZE + 1):
        assert TREE.root(size) == _ref_root(0, size)
        assert MerkleTree(LEAVES[:size]).root() == _ref_root(0, size)


def test_every_inclusion_proof_verifies() -> None:
    # Every (index, size) with size <= 300: the tree's proof verifies against the tree's root.
    for size in range(1, MAX_SIZE + 1):
        root = TREE.root(size)
        for index in range(size):
            verify_inclusion(index, size, LEAVES[index], TREE.inclusion_proof(index, size), root)


def test_every_consistency_proof_verifies() -> None:
    # Every first <= second <= 300.
    roots = [TREE.root(size) for size in range(MAX_SIZE + 1)]
    for second in range(MAX_SIZE + 1):
        for first in range(second + 1):
            verify_consistency(first, second, roots[first], roots[second], TREE.consistency_proof(first, second))


@pytest.mark.parametrize("size", [*range(1, 66), 100, 127, 128, 129, 200, 255, 256, 257, 299, 300])
def test_proofs_equal_reference_exhaustively(size: int) -> None:
    leaves = LEAVES[:size]
    for index in range(size):
        assert TREE.inclusion_proof(index, size) == reference_inclusion_proof(leaves, index)
    for first in range(size + 1):
        assert TREE.consistency_proof(first, size) == reference_consistency_proof(leaves, first)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_inclusion_property(data: st.DataObject) -> None:
    size = data.draw(st.integers(1, MAX_SIZE), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    proof = TREE.inclusion_proof(index, size)
    assert proof == reference_inclusion_proof(LEAVES[:size], index)
    root = _ref_root(0, size)
    verify_inclusion(index, size, LEAVES[index], proof, root)
    if proof:
        element = data.draw(st.integers(0, len(proof) - 1), label="element")
        bit = data.draw(st.integers(0, 255), label="bit")
        _rejects(lambda: verify_inclusion(index, size, LEAVES[index], _flip(proof, element, bit), root))
    other_index = data.draw(st.integers(0, size - 1), label="other index")
    if other_index != index:
        _rejects(lambda: verify_inclusion(other_index, size, LEAVES[index], proof, root))
    # A proof for one size does not prove the leaf in the real tree of another size, unless it is
    # also that size's proof (a proof cannot tell a leaf hash from a subtree hash, so only a real
    # root of the other size makes "wrong size" meaningful).
    other_size = data.draw(st.integers(index + 1, MAX_SIZE), label="other size")
    if proof != TREE.inclusion_proof(index, other_size):
        _rejects(lambda: verify_inclusion(index, other_size, LEAVES[index], proof, _ref_root(0, other_size)))


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_consistency_property(data: st.DataObject) -> None:
    second = data.draw(st.integers(1, MAX_SIZE), label="second")
    first = data.draw(st.integers(0, second), label="first")
    proof = TREE.consistency_proof(first, second)
    assert proof == reference_consistency_proof(LEAVES[:second], first)
    root1, root2 = _ref_root(0, first), _ref_root(0, second)
    verify_consistency(first, second, root1, root2, proof)
    if proof:
        element = data.draw(st.integers(0, len(proof) - 1), label="element")
        bit = data.draw(st.integers(0, 255), label="bit")
        _rejects(lambda: verify_consistency(first, second, root1, root2, _flip(proof, element, bit)))
    # Wrong sizes, each with the real root of that size (see test_inclusion_property).
    other_first = data.draw(st.integers(0, second), label="other first")
    if proof != TREE.consistency_proof(other_first, second):
        _rejects(lambda: verify_consistency(other_first, second, _ref_root(0, other_first), root2, proof))
    other_second = data.draw(st.integers(first, MAX_SIZE), label="other second")
    if proof != TREE.consistency_proof(first, other_second):
        _rejects(lambda: verify_consistency(first, other_second, root1, _ref_root(0, other_second), proof))
