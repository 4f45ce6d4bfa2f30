"""Random rewrites of an exported record: ``verify`` fails every time and names where.

The record is a small election with cases and an audit (``tests.records.small_record``). Each
example rewrites it once — a figure changed, an event dropped, two swapped, one duplicated, a
forged event appended, the published head replaced — either crudely (the hashes left as they
were) or as a forger would (every hash recomputed). Verified against the head that was
published, every rewrite fails, at the first line that differs or, when only the head can tell,
at the record's last event. Forged events that break a rule fail even with no head given, at
the forged event; so does an act re-attributed to a role that may not take it.

A second record has its acts signed and its heads signed and cosigned (``signed=True``): a
signature replaced (garbled, another act's, a stranger's, a registered key's of a role that may
not make the act) or a signer's key replaced in its registration fails at the event it breaks;
a published head whose signature, signer or cosigner is replaced, or whose figures are
rewritten, fails naming the head. 1,650 examples.
"""

from __future__ import annotations

import copy
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.records import SIGNERS, forged, read, reseal, sheet_event, small_record, write

from escrutinio.app import Session
from escrutinio.domain.errors import EscrutinioError
from escrutinio.domain.roles import SIGNED_ACTS, TREE_HEAD, key_role
from escrutinio.ledger.events import Event, EventType
from escrutinio.ledger.heads import HeadError, cosignature_body
from escrutinio.ledger.keys import SIGNATURE, signed_bytes_object
from escrutinio.ledger.semantic import ACTIONS, KNOWN_TYPES, Discrepancy, SemanticReplay
from escrutinio.ledger.signing import SigningKey, generate_key, load_private_key
from escrutinio.ledger.verify import ChainError

REWRITES = ("figure", "drop", "reorder", "duplicate", "forge")


@cache
def original() -> tuple[Path, str, tuple[Event, ...], SemanticReplay]:
    folder = Path(tempfile.mkdtemp(prefix="verify-properties-"))
    path, head = small_record(folder, audit=True)
    events = read(path)
    replay = SemanticReplay()
    for event in events:
        replay.apply(event)
    return path, head, tuple(events), replay


def failure(events: list[Event], head: str | None) -> EscrutinioError | None:
    """What verify says of ``events`` (None: it passes)."""
    path = write(original()[0].parent / "mutated.jsonl", events)
    try:
        Session(str(path.parent / "no-store.db")).log.verify(path, head=head)
    except EscrutinioError as exc:
        return exc
    return None


def where(error: EscrutinioError) -> int:
    """The line (= event number) an error names."""
    assert isinstance(error, ChainError | Discrepancy), f"not named by event: {error!r}"
    return error.line if isinstance(error, ChainError) else error.seq


def first_difference(events: list[Event], before: tuple[Event, ...]) -> int:
    """The first line (1-based) where the rewritten record differs from the published one; for
    a record cut short (a prefix of the published one), its last line: only the head tells."""
    for i, (a, b) in enumerate(zip(events, before, strict=False)):
        if a.line() != b.line():
            return i + 1
    return len(events) if len(events) < len(before) else len(before) + 1


def int_paths(obj: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in an event's data that holds a whole number."""
    if isinstance(obj, bool):
        return []
    if isinstance(obj, int):
        return [path]
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    return [p for k, v in items for p in int_paths(v, (*path, k))]


def set_at(data: dict[str, Any], path: tuple[Any, ...], value: int) -> dict[str, Any]:
    out = copy.deepcopy(data)
    target = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return out


@st.composite
def rewrites(draw: st.DrawFn) -> list[Event]:
    events = list(original()[2])
    kind = draw(st.sampled_from(REWRITES))
    n = len(events)
    if kind == "figure":
        i = draw(st.sampled_from([k for k, e in enumerate(events) if int_paths(e.data)]))
        path = draw(st.sampled_from(int_paths(events[i].data)))
        old = events[i].data
        for key in path:
            old = old[key]
        value = draw(st.integers(0, 100_000).filter(lambda v: v != old))
        e = events[i]
        events[i] = Event(e.seq, e.type, e.at, e.actor, set_at(e.data, path, value), e.prev, e.hash)
    elif kind == "drop":
        del events[draw(st.integers(0, n - 1))]
    elif kind == "reorder":
        i, j = draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True).map(sorted))
        events[i], events[j] = events[j], events[i]
    elif kind == "duplicate":
        i = draw(st.integers(0, n - 1))
        events.insert(i + 1, events[i])
    else:
        events.append(draw(forgeries()))
    return events


@st.composite
def forgeries(draw: st.DrawFn) -> Event:
    """An event a forger appends that breaks a rule the replay checks."""
    _path, _head, events, replay = original()
    sheets = next(e for e in events if e.type == EventType.SHEETS_RECORDED)
    tables = sorted(replay.current)
    kind = draw(st.sampled_from(["electors", "arithmetic", "roll", "version", "repeat", "type", "case", "reopen", "audit"]))
    table = draw(st.sampled_from(tables))
    cur, electors = replay.current[table], replay.electors[table] or 0
    pl = draw(st.integers(0, 1_000))
    if kind == "electors":
        cast = draw(st.integers(electors + 1, electors + 100_000))
        return sheet_event(
            sheets, table, cur.version + 1, {"PL": cast - pl if cast > pl else 0, "FP": min(pl, cast), "cast": cast}
        )
    if kind == "arithmetic":
        fp = draw(st.integers(0, electors // 2))
        cast = draw(st.integers(0, electors).filter(lambda c: c != pl % (electors // 2 + 1) + fp))
        return sheet_event(sheets, table, cur.version + 1, {"PL": pl % (electors // 2 + 1), "FP": fp, "cast": cast})
    if kind == "roll":
        other = draw(st.text("0123456789", min_size=6, max_size=6).filter(lambda t: t not in replay.electors))
        return sheet_event(sheets, other, 1, {"PL": 1, "FP": 1, "cast": 2})
    if kind in ("version", "repeat"):
        version = cur.version if kind == "repeat" else draw(st.sampled_from([0, cur.version + 2, cur.version + 50]))
        fp = draw(st.integers(0, electors // 2))
        counts = {"PL": electors // 2 - fp // 2, "FP": fp, "cast": electors // 2 - fp // 2 + fp}
        event = sheet_event(sheets, table, version, counts)
        if kind == "repeat" and event.data["sheets"]["cast"][0] == cur.counts[-1]:
            event.data["sheets"]["null"] = [1]
            event.data["sheets"]["cast"] = [cur.counts[-1] + 1]
        return event
    if kind == "type":
        return forged(
            sheets, draw(st.text("abcdefghijklmnopqrstuvwxyz._", min_size=1, max_size=20).filter(lambda t: t not in KNOWN_TYPES))
        )
    case_events = [e for e in events if e.type in EventType.CASE_EVENTS]
    template = draw(st.sampled_from(case_events))
    if kind == "case":
        number = draw(
            st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789", min_size=3, max_size=20).filter(lambda t: t not in replay.cases)
        )
        type_ = EventType.CASE_OPENED if template.type != EventType.CASE_OPENED else EventType.CASE_RULED
        if type_ == EventType.CASE_OPENED:
            return forged(template, EventType.CASE_RULED, **{**template.data, "number": number})
        return forged(template, **{**template.data, "number": number})
    if kind == "reopen":
        opened = draw(st.sampled_from([e for e in case_events if e.type == EventType.CASE_OPENED]))
        return forged(opened)
    audit = draw(
        st.sampled_from(
            [e for e in events if e.type in (EventType.AUDIT_SEEDED, EventType.AUDIT_MEASURED, EventType.AUDIT_SAMPLED)]
        )
    )
    return forged(audit)


@settings(max_examples=400)
@given(rewrites())
def test_a_crude_rewrite_fails_at_the_first_line_it_changed(events: list[Event]) -> None:
    _path, head, before, _replay = original()
    error = failure(events, head)
    assert error is not None
    assert where(error) == first_difference(events, before), str(error)


@settings(max_examples=400)
@given(rewrites())
def test_a_rewrite_with_every_hash_recomputed_fails_against_the_published_head(events: list[Event]) -> None:
    _path, head, before, _replay = original()
    events = reseal(events)
    error = failure(events, head)
    assert error is not None
    assert first_difference(events, before) <= where(error) <= len(events), str(error)


@settings(max_examples=300)
@given(forgeries())
def test_a_forged_event_fails_at_itself_with_no_head_given(event: Event) -> None:
    _path, _head, before, _replay = original()
    events = reseal([*before, event])
    error = failure(events, None)
    assert isinstance(error, Discrepancy) and error.seq == len(events), (event.type, str(error))


@settings(max_examples=100)
@given(st.text("0123456789abcdef", min_size=64, max_size=64))
def test_another_head_than_the_record_s_fails(head: str) -> None:
    _path, real, before, _replay = original()
    error = failure(list(before), head)
    assert (error is None) == (head == real)
    if error is not None:
        assert where(error) == len(before)


@settings(max_examples=100)
@given(st.data())
def test_an_act_rewritten_as_by_a_role_that_may_not_take_it_fails_at_it(data: st.DataObject) -> None:
    """A ruling, finalisation or audit step re-attributed to a clerk (who may take none of them),
    every hash recomputed and no head given: verify fails at that event."""
    _path, _head, before, _replay = original()
    events = list(before)
    i = data.draw(st.sampled_from([k for k, e in enumerate(events) if e.type in ACTIONS]))
    name = data.draw(st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12))
    e = events[i]
    events[i] = Event(e.seq, e.type, e.at, f"clerk:{name}", e.data, e.prev, e.hash)
    error = failure(reseal(events), None)
    assert isinstance(error, Discrepancy) and error.seq == i + 1 and "role" in str(error), str(error)


# -- signatures and signed heads ------------------------------------------------------------------

STRANGER = generate_key()
"""A key no record registers."""
hex_signatures = st.text("0123456789abcdef", min_size=128, max_size=128)


@cache
def signed_original() -> tuple[Path, str, tuple[Event, ...], tuple[dict[str, Any], ...], dict[str, SigningKey]]:
    """The record with signed acts, its head, its signed heads, and the officials' keys by role."""
    folder = Path(tempfile.mkdtemp(prefix="verify-signed-"))
    path, head = small_record(folder, audit=True, signed=True)
    keys = {role: load_private_key(folder / f"{role}.pem") for role in SIGNERS}
    return path, head, tuple(read(path)), tuple(orjson.loads((folder / "heads.json").read_bytes())), keys


def signed_failure(events: list[Event], head: str | None = None, heads: Any = None) -> EscrutinioError | None:
    path = write(signed_original()[0].parent / "mutated.jsonl", events)
    try:
        Session(str(path.parent / "no-store.db")).log.verify(path, head=head, signed_heads=heads)
    except EscrutinioError as exc:
        return exc
    return None


def with_signature(event: Event, signature: dict[str, Any]) -> Event:
    return Event(event.seq, event.type, event.at, event.actor, {**event.data, SIGNATURE: signature}, event.prev, event.hash)


def signed_by(key: SigningKey, role: str, event: Event) -> dict[str, Any]:
    """A valid signature by ``key`` (held in ``role``) over ``event``'s act and payload."""
    body = {k: v for k, v in event.data.items() if k != SIGNATURE}
    return {"key_id": key.key_id, "holder": "forger", "role": role, "signature": key.sign(signed_bytes_object(event.type, body))}


@st.composite
def signature_rewrites(draw: st.DrawFn) -> tuple[list[Event], int]:
    """A record with one signature (or one signer's key) replaced, and the event where verify
    must fail (every hash is recomputed afterwards)."""
    _path, _head, before, _heads, keys = signed_original()
    events = list(before)
    signed = [i for i, e in enumerate(events) if SIGNATURE in e.data]
    kind = draw(st.sampled_from(["garble", "another_act", "stranger", "wrong_role", "key", "public_key"]))
    if kind in ("key", "public_key"):
        registered = {e.data["key_id"]: i for i, e in enumerate(events) if e.type == EventType.KEY_REGISTERED}
        used = sorted({events[i].data[SIGNATURE]["key_id"] for i in signed})
        key_id = draw(st.sampled_from(used))
        k = registered[key_id]
        e = events[k]
        if kind == "public_key":  # the key swapped under the same id
            events[k] = Event(e.seq, e.type, e.at, e.actor, {**e.data, "public_key": STRANGER.public.hex}, e.prev, e.hash)
            return events, k + 1
        data = {**e.data, "public_key": STRANGER.public.hex, "key_id": STRANGER.key_id}
        events[k] = Event(e.seq, e.type, e.at, e.actor, data, e.prev, e.hash)
        return events, next(i for i in signed if events[i].data[SIGNATURE]["key_id"] == key_id) + 1
    i = draw(st.sampled_from(signed))
    e = events[i]
    old = e.data[SIGNATURE]
    if kind == "garble":
        new = {**old, "signature": draw(hex_signatures.filter(lambda h: h != old["signature"]))}
    elif kind == "another_act":
        new = draw(st.sampled_from([events[j].data[SIGNATURE] for j in signed if events[j].data[SIGNATURE] != old]))
    elif kind == "stranger":
        new = signed_by(STRANGER, old["role"], e)
    else:
        allowed = SIGNED_ACTS[e.type]
        role = draw(st.sampled_from(sorted(r for r in keys if key_role(r) not in allowed)))
        new = signed_by(keys[role], role, e)
    events[i] = with_signature(e, new)
    return events, i + 1


@settings(max_examples=250)
@given(signature_rewrites())
def test_a_replaced_signature_or_signer_key_fails_at_the_event_it_breaks(rewrite: tuple[list[Event], int]) -> None:
    events, at = rewrite
    events = reseal(events)
    error = signed_failure(events)
    assert isinstance(error, Discrepancy) and error.seq == at, str(error)
    assert "\n" not in str(error)
    assert signed_failure(events, heads=list(signed_original()[3])) is not None  # and against the published heads


@settings(max_examples=150)
@given(st.data())
def test_a_rewritten_published_head_fails_naming_the_head(data: st.DataObject) -> None:
    """One signed head changed: its signature or a cosignature replaced, its signer or a cosigner
    replaced by a stranger or by a registered key of another role (each re-signing properly), the
    signer's key swapped under a signature, or one of its figures rewritten."""
    path, _head, _before, published, keys = signed_original()
    heads = copy.deepcopy(list(published))
    h = heads[data.draw(st.integers(0, len(heads) - 1))]
    kind = data.draw(
        st.sampled_from(["signature", "cosignature", "signer", "cosigner", "signer_key", "size", "root", "last_event", "time"])
    )
    body = {"type": "escrutinio.tree_head", **{k: h[k] for k in ("log", "size", "root", "last_event", "time")}}
    if kind == "signature":
        h["signature"] = data.draw(hex_signatures.filter(lambda x: x != h["signature"]))
    elif kind == "cosignature":
        h["cosignatures"][0]["signature"] = data.draw(hex_signatures.filter(lambda x: x != h["cosignatures"][0]["signature"]))
    elif kind in ("signer", "cosigner"):
        allowed = SIGNED_ACTS[TREE_HEAD] if kind == "signer" else SIGNED_ACTS["cosignature"]
        others = sorted(r for r in keys if key_role(r) not in allowed)
        key = data.draw(st.sampled_from([STRANGER, *(keys[r] for r in others)]))
        if kind == "signer":
            h["signer"], h["signature"] = {"key_id": key.key_id, "key": key.public.hex}, key.sign(body)
        else:
            c = h["cosignatures"][0]
            made = key.sign(cosignature_body(_tree_head(h), c["time"]))
            h["cosignatures"][0] = {**c, "key_id": key.key_id, "key": key.public.hex, "signature": made}
    elif kind == "signer_key":
        key = data.draw(st.sampled_from([STRANGER, *keys.values()]).filter(lambda k: k.key_id != h["signer"]["key_id"]))
        h["signer"] = {"key_id": key.key_id, "key": key.public.hex}
    elif kind == "size":
        h["size"] = data.draw(st.integers(1, 10_000).filter(lambda n: n != h["size"]))
    else:
        h[kind] = (
            data.draw(st.text("0123456789abcdef", min_size=64, max_size=64).filter(lambda x: x != h[kind]))
            if kind != "time"
            else "2026-12-01T00:00:00.000000Z"
        )
    error = signed_failure(read(path), heads=heads)
    assert isinstance(error, HeadError) and str(error).startswith(("head of size", "--signed-head")), (kind, str(error))
    assert "\n" not in str(error)


def _tree_head(h: dict[str, Any]) -> Any:
    from escrutinio.ledger.heads import TreeHead

    return TreeHead(log=h["log"], size=h["size"], root=h["root"], last_event=h["last_event"], time=h["time"])
