"""API keys (hash-only storage, revocation) and credits that stay exact under concurrency."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import select

from kinema.errors import InsufficientCredits, Unauthorized
from kinema.platform import accounts, db
from kinema.platform.models import ApiKey, CreditEntry


def test_keys_look_like_runway_and_only_a_hash_is_stored(settings, org):
    with db.session_scope(settings) as s:
        row, key = accounts.create_key(s, org.org_id, name="ci")
    assert re.fullmatch(r"key_[0-9a-f]{128}", key)
    with db.session_scope(settings) as s:
        stored = s.get(ApiKey, row.id)
        assert stored.key_hash == accounts.hash_key(key) and key not in stored.key_hash
        assert accounts.authenticate(s, key).org_id == org.org_id
        with pytest.raises(Unauthorized):
            accounts.authenticate(s, key[:-1] + ("0" if key[-1] != "0" else "1"))


def test_revoked_key_is_refused(settings, org):
    with db.session_scope(settings) as s:
        row, key = accounts.create_key(s, org.org_id)
    with db.session_scope(settings) as s:
        accounts.revoke_key(s, row.prefix)
    with db.session_scope(settings) as s, pytest.raises(Unauthorized, match="revoked"):
        accounts.authenticate(s, key)


def test_reserve_refuses_overdraft_and_records_ledger(settings, org):
    with db.session_scope(settings) as s:
        accounts.reserve(s, org.org_id, 600, task_id="t1", model="gen4_turbo")
    with db.session_scope(settings) as s, pytest.raises(InsufficientCredits, match="400"):
        accounts.reserve(s, org.org_id, 401, task_id="t2", model="gen4_turbo")
    with db.session_scope(settings) as s:
        assert accounts.balance_of(s, org.org_id) == 400
        entries = s.scalars(
            select(CreditEntry.amount).where(CreditEntry.org_id == org.org_id)
        ).all()
        assert sorted(entries) == [-600, 1000]


def test_concurrent_reservations_are_exact(settings, org):
    """8 threads race to reserve 30 credits 10 times each from 1000: exactly 33 succeed."""
    ok, refused = [], []

    def worker(i: int) -> None:
        for j in range(10):
            try:
                with db.session_scope(settings) as s:
                    accounts.reserve(s, org.org_id, 30, task_id=f"{i}-{j}", model="m")
                ok.append(1)
            except InsufficientCredits:
                refused.append(1)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ok) == 33 and len(refused) == 80 - 33
    with db.session_scope(settings) as s:
        assert accounts.balance_of(s, org.org_id) == 1000 - 33 * 30
