"""Secrets: encrypted at rest with a key kept outside the root, scoped per Pond, handed to a
Duck through its environment (never argv), and the key's absence or mismatch said clearly."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from duckstring.embedded.access.secrets import (
    KEY_ENV,
    SERVER_ONLY,
    Secrets,
    SecretsKeyError,
    key_file,
)
from duckstring.embedded.archive import stream_archive
from duckstring.embedded.domain_errors import BadInput, NotFound
from duckstring.embedded.store import Store
from duckstring.layout import Layout
from duckstring.redact import SECRET_NAMES_ENV

T0 = 1_767_225_600_000
VALUE = "pg-Pa55w0rd!'\"\\-é-7f3a9c"
OTHER = "s3-AKIAEXAMPLE-0000-key"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "root"



def every_file(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


def test_a_value_is_in_no_file_under_the_root_nor_in_the_download(root: Path,
                                                                     store: Store) -> None:
    secrets = Secrets(store, root, env_key=None)
    assert secrets.set("DB_PASSWORD", VALUE, None, T0) == []
    secrets.set("S3_KEY", OTHER, ["sales"], T0)
    for blob in (every_file(root), b"".join(stream_archive(Layout(root)))):
        for value in (VALUE, OTHER):
            for encoded in (value.encode(), value.encode("utf-16-le"), repr(value).encode()):
                assert encoded not in blob
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert VALUE.encode() not in every_file(root)

    key = key_file(root)
    assert key.parent == root.parent and key.name == "root.secrets-key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream_archive(Layout(root))))) as archive:
        assert not any("secrets-key" in name for name in archive.getnames())
    assert key.read_bytes().strip() not in every_file(root)


def test_scopes_listing_and_removal(root: Path, store: Store) -> None:
    secrets = Secrets(store, root, env_key=None)
    secrets.set("TOKEN", "every-pond-token", None, T0)
    secrets.set("TOKEN", "sales-own-token", ["sales"], T0 + 1)
    secrets.set("ONLY_CRM", "crm-only-value", ["crm"], T0 + 2)
    assert secrets.for_pond("sales") == {"TOKEN": "sales-own-token"}
    assert secrets.for_pond("crm") == {"TOKEN": "every-pond-token", "ONLY_CRM": "crm-only-value"}
    assert secrets.for_pond("other") == {"TOKEN": "every-pond-token"}
    listed = secrets.listing()
    assert listed == [
        {"name": "ONLY_CRM", "pond": "crm", "set_at": T0 + 2},
        {"name": "TOKEN", "pond": None, "set_at": T0},
        {"name": "TOKEN", "pond": "sales", "set_at": T0 + 1},
    ]
    assert secrets.remove("TOKEN", ["sales"]) == 1
    assert secrets.for_pond("sales") == {"TOKEN": "every-pond-token"}
    assert secrets.remove("TOKEN") == 1
    with pytest.raises(NotFound, match="secret list"):
        secrets.remove("TOKEN")
    # a restart reads them back with the key file
    assert Secrets(store, root, None).for_pond("crm") == {"ONLY_CRM": "crm-only-value"}


def test_bad_names_and_values_are_refused_with_the_fix(root: Path, store: Store) -> None:
    secrets = Secrets(store, root, env_key=None)
    for name in ("DUCKSTRING_DUCK_TOKEN", "PATH", "PYTHONPATH", "LD_PRELOAD"):
        with pytest.raises(BadInput, match="reserved"):
            secrets.set(name, "long enough value", None, T0)
    with pytest.raises(BadInput, match="environment variable name"):
        secrets.set("1PASS", "long enough value", None, T0)
    with pytest.raises(BadInput, match="NUL"):
        secrets.set("A", "a\0b-long-enough", None, T0)
    with pytest.raises(BadInput, match="not a Pond name"):
        secrets.set("A", "long enough value", ["Sales!"], T0)
    [warning] = secrets.set("PIN", "123", None, T0)
    assert "cannot be hidden from logs" in warning and "123" not in warning
    assert not key_file(root).with_name("nothing").exists()


def test_a_missing_or_wrong_key_is_said_at_start(root: Path, store: Store) -> None:
    Secrets(store, root, env_key=None).set("DB_PASSWORD", VALUE, None, T0)
    saved = key_file(root).read_bytes()
    key_file(root).unlink()
    with pytest.raises(SecretsKeyError, match=f"set {KEY_ENV} or restore .*root.secrets-key"):
        Secrets(store, root, None).verify()

    from cryptography.fernet import Fernet

    with pytest.raises(SecretsKeyError, match=f"{KEY_ENV} does not open"):
        Secrets(store, root, Fernet.generate_key().decode()).verify()
    with pytest.raises(SecretsKeyError, match="not a secrets key"):
        Secrets(store, root, "hunter2").verify()
    # the key file's content works as the environment key (moving a root to a platform)
    moved = Secrets(store, root, saved.decode().strip())
    moved.verify()
    assert moved.for_pond("any") == {"DB_PASSWORD": VALUE}
    assert not key_file(root).exists()

    key_file(root).write_bytes(saved)
    key_file(root).chmod(0o644)
    with pytest.raises(SecretsKeyError, match="chmod 600"):
        Secrets(store, root, None).verify()


def test_no_secrets_no_key_file(root: Path, store: Store) -> None:
    secrets = Secrets(store, root, env_key=None)
    secrets.verify()
    assert secrets.for_pond("sales") == {} and not secrets.redactor()
    assert not key_file(root).exists()


def test_a_duck_reads_its_secret_from_the_environment_never_its_command_line(
        root: Path, store: Store) -> None:
    secrets = Secrets(store, root, env_key=None)
    secrets.set("DB_PASSWORD", VALUE, ["sales"], T0)
    secrets.set("OTHER", OTHER, ["crm"], T0)
    server = {**os.environ, "DUCKSTRING_API_KEY": "user-key", KEY_ENV: "k",
              "DUCKSTRING_SMTP_URL": "smtp://u:p@h"}
    env = secrets.duck_environ(server, "sales")
    assert not set(SERVER_ONLY) & set(env)
    assert env[SECRET_NAMES_ENV] == "DB_PASSWORD" and "OTHER" not in env

    script = ("import hashlib, os, sys; sys.stdin.read(); "
              "print(hashlib.sha256(os.environ['DB_PASSWORD'].encode()).hexdigest())")
    proc = subprocess.Popen([sys.executable, "-c", script], env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        out, _ = proc.communicate(b"", timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert VALUE.encode() not in cmdline
    assert out.decode().strip() == hashlib.sha256(VALUE.encode()).hexdigest()


def test_a_root_inside_a_project_never_ships_its_key_in_a_deploy(tmp_path: Path) -> None:
    import zipfile

    from duckstring.packaging import pack_project

    project = tmp_path / "sales"
    (project / "src").mkdir(parents=True)
    (project / "pond.toml").write_text('[pond]\nname = "sales"\nversion = "1.0.0"\n')
    (project / "src" / "pond.py").write_text("")
    local_root = project / ".duckstring"  # DUCKSTRING_ROOT's default, run from the project
    store = Store(Layout(local_root).db)
    try:
        Secrets(store, local_root, env_key=None).set("DB_PASSWORD", VALUE, None, T0)
    finally:
        store.close()
    key = key_file(local_root)
    assert key == project / ".duckstring.secrets-key" and key.exists()
    packed = pack_project(project)
    with zipfile.ZipFile(io.BytesIO(packed)) as zf:
        assert sorted(zf.namelist()) == ["pond.toml", "src/pond.py"]
    assert key.read_bytes().strip() not in packed
