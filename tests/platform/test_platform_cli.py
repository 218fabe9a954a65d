"""``kinema keys`` and ``kinema credits`` on a fresh home (they migrate the database)."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from kinema.cli import _register_all, app
from kinema.config import get_settings
from kinema.platform import accounts, db


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("KINEMA_HOME", str(tmp_path / "cli_home"))
    monkeypatch.setenv("KINEMA_INITIAL_CREDITS", "250")
    get_settings.cache_clear()
    if not any(c.name == "keys" for c in app.registered_groups):
        _register_all()
    yield CliRunner()
    get_settings.cache_clear()


def test_keys_and_credits_commands(cli):
    r = cli.invoke(app, ["keys", "create", "--org", "studio", "--name", "ci"])
    assert r.exit_code == 0, r.output
    key = r.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"key_[0-9a-f]{128}", key)
    settings = get_settings()
    with db.session_scope(settings) as s:
        caller = accounts.authenticate(s, key)
        assert caller.org_name == "studio" and accounts.balance_of(s, caller.org_id) == 250
    r = cli.invoke(app, ["credits", "add", "studio", "50"])
    assert r.exit_code == 0 and "300 credits" in r.stdout
    r = cli.invoke(app, ["keys", "list"])
    assert r.exit_code == 0 and key[:12] in r.stdout and key not in r.stdout
    r = cli.invoke(app, ["keys", "revoke", key[:12]])
    assert r.exit_code == 0
    with db.session_scope(settings) as s, pytest.raises(Exception, match="revoked"):
        accounts.authenticate(s, key)
    r = cli.invoke(app, ["credits", "add", "nobody", "5"])
    assert r.exit_code == 1
