"""Storage: migrations, keys, history atomicity, on SQLite and on the local PostgreSQL."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import text

from polyvox.errors import QuotaExceeded, Unauthorized
from polyvox.services.history import HistoryService, NewHistoryItem
from polyvox.services.keys import KeyService
from polyvox.services.voices import VoiceService
from polyvox.store.blobs import LocalBlobStore
from polyvox.store.db import Database

PG_URL = os.environ.get("POLYVOX_TEST_PG", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")


def _pg_available() -> bool:
    try:
        db = Database(PG_URL)
        with db.engine.connect() as c:
            c.execute(text("select 1"))
        db.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request, tmp_path):
    if request.param == "sqlite":
        d = Database(f"sqlite:///{tmp_path / 't.db'}")
    else:
        if not _pg_available():
            pytest.skip(f"PostgreSQL not reachable at {PG_URL}")
        schema = "t_" + uuid.uuid4().hex[:10]
        admin = Database(PG_URL)
        with admin.engine.begin() as c:
            c.execute(text(f"create schema {schema}"))
        d = Database(PG_URL)
        d.engine.update_execution_options(schema_translate_map=None)
        from sqlalchemy import event

        @event.listens_for(d.engine, "connect")
        def _path(conn, _):
            cur = conn.cursor()
            cur.execute(f"set search_path to {schema}")
            cur.close()

        yield_db = d
        yield_db.migrate()
        yield yield_db
        yield_db.dispose()
        with admin.engine.begin() as c:
            c.execute(text(f"drop schema {schema} cascade"))
        admin.dispose()
        return
    d.migrate()
    yield d
    d.dispose()


def _item(key_id, text="Hello world", hid=None):
    return NewHistoryItem(history_item_id=hid or uuid.uuid4().hex[:20], request_id=uuid.uuid4().hex,
                          key_id=key_id, voice_id="21m00Tcm4TlvDq8ikWAM", voice_name="Rachel",
                          voice_category="premade", model_id="eleven_multilingual_v2", text=text,
                          content_type="audio/mpeg", output_format="mp3_44100_128", settings={}, source="TTS",
                          duration_seconds=1.0, loudness_lufs=-19.0, speaking_rate=14.0, alignment=None)


def test_migrations_are_idempotent(db):
    db.migrate()
    db.migrate()


def test_keys_hash_only_and_revoke(db):
    keys = KeyService(db)
    new = keys.create("alice")
    with db.engine.connect() as c:
        stored = c.execute(text("select key_hash from api_keys")).scalars().all()
    assert new.secret not in stored and len(stored[0]) == 64
    assert keys.authenticate(new.secret).name == "alice"
    keys.revoke(new.key_id)
    with pytest.raises(Unauthorized):
        keys.authenticate(new.secret)
    with pytest.raises(Unauthorized):
        keys.authenticate("sk_nope")


def test_quota(db):
    keys = KeyService(db)
    new = keys.create("limited", character_limit=20)
    keys.check_quota(new.key_id, 20, 0)
    keys.charge(new.key_id, 15)
    with pytest.raises(QuotaExceeded):
        keys.check_quota(new.key_id, 6, 0)


def test_history_record_is_atomic(db, tmp_path):
    keys = KeyService(db)
    key = keys.create("k")
    blobs = LocalBlobStore(tmp_path / "blobs")
    hist = HistoryService(db, blobs)
    hist.record(_item(key.key_id), b"audio-bytes", log=True)
    rows, _ = hist.list(key_id=key.key_id)
    assert len(rows) == 1 and hist.audio(rows[0].history_item_id, key.key_id)[0] == b"audio-bytes"
    # a failure inside the transaction (duplicate id) leaves no new row, no blob, no charge
    before = keys.usage(key.key_id).character_count
    with pytest.raises(Exception):
        hist.record(_item(key.key_id, hid=rows[0].history_item_id, text="x" * 50), b"other", log=True)
    assert len(hist.list(key_id=key.key_id)[0]) == 1
    assert keys.usage(key.key_id).character_count == before
    assert hist.audio(rows[0].history_item_id, key.key_id)[0] == b"audio-bytes"


def test_orphan_blobs_are_swept(db, tmp_path):
    blobs = LocalBlobStore(tmp_path / "blobs")
    hist = HistoryService(db, blobs)
    blobs.put("history/orphan.mp3", b"x")  # a crash after the blob write, before the commit
    (blobs.root / "history" / ".half.mp3.abc.tmp").write_bytes(b"partial")
    hist.sweep_orphans()
    assert blobs.keys("history") == []


def test_zero_retention_charges_but_keeps_nothing(db, tmp_path):
    keys = KeyService(db)
    key = keys.create("k")
    blobs = LocalBlobStore(tmp_path / "blobs")
    hist = HistoryService(db, blobs)
    hist.record(_item(key.key_id, text="secret"), b"audio", log=False)
    assert hist.list(key_id=key.key_id)[0] == [] and blobs.keys() == []
    assert keys.usage(key.key_id).character_count == len("secret")


def test_premade_seed_keeps_user_edits(db):
    voices = VoiceService(db)
    voices.seed_premade()
    voices.edit("21m00Tcm4TlvDq8ikWAM", name="My Rachel", description=None, labels=None)
    voices.edit_settings("21m00Tcm4TlvDq8ikWAM", {"stability": 0.9})
    voices.seed_premade()
    v = voices.get("21m00Tcm4TlvDq8ikWAM")
    assert v.name == "My Rachel" and v.settings["stability"] == 0.9
    rows, total, nxt = voices.search(gender="male", accent="british", page_size=3)
    assert total >= 4 and len(rows) == 3 and nxt == "3"


def test_blob_keys_are_confined(tmp_path):
    blobs = LocalBlobStore(tmp_path)
    with pytest.raises(ValueError):
        blobs.put("../escape", b"x")
