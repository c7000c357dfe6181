"""`duckstring catchment`: create, start, register and download Catchments (docs/cli.md)."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from duckstring import known
from duckstring.api_error import ApiError
from duckstring.cli_errors import FAILED, USAGE, CliError
from duckstring.commands._context import CATCHMENT, JSON, YES, open_catchment, print_json

if TYPE_CHECKING:
    from duckstring.config import Config, Registration

app = typer.Typer(name="catchment", no_args_is_help=True,
                  help="Create, start, register, list and download Catchments.")

HEADER = typer.Option(None, "--header", metavar="'NAME: value'",
                      help="A header sent with every request (repeatable), e.g. a platform token.")
KEY = typer.Option(None, "--key", metavar="K", help="API key, sent as Authorization: Bearer.")


def parse_headers(raw: list[str] | None) -> dict[str, str]:
    headers = {}
    for item in raw or []:
        name, sep, value = item.partition(":")
        if not sep or not name.strip() or any(c.isspace() for c in name.strip()):
            raise typer.BadParameter(f"{item!r} is not 'Name: value'", param_hint="--header")
        headers[name.strip()] = value.strip()
    return headers


def _config() -> Config:
    from duckstring.config import Config
    from duckstring.terminal import console

    return Config.load(warn=console.warn)


DEFAULT_PORT = 7474
DEFAULT_OPT = typer.Option(
    None, "--default/--no-default",
    help="Make it the default Catchment (asked on a terminal; default: yes).")
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0", "::", ""}


def registered_ports(cfg: Config, host: str) -> dict[int, str]:
    """Ports on this machine that a registration already uses, and by whom."""
    from urllib.parse import urlsplit

    taken: dict[int, str] = {}
    for reg in cfg.registrations().values():
        parts = urlsplit(reg.url)
        where = reg.host or parts.hostname or ""
        if parts.port and (where in _LOCAL_HOSTS or where == host):
            taken.setdefault(parts.port, reg.name)
    return taken


def pick_port(cfg: Config, host: str, preferred: int = DEFAULT_PORT) -> int:
    """`preferred`, or the next port after it that no registration uses and nothing listens
    on (an OS-chosen one if those run out)."""
    import socket

    taken = registered_ports(cfg, host)
    bind = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    for port in range(preferred, min(preferred + 100, 65536)):
        if port in taken:
            continue
        with socket.socket() as sock:
            try:
                sock.bind((bind, port))
            except OSError:
                continue
        return port
    with socket.socket() as sock:
        sock.bind((bind, 0))
        return int(sock.getsockname()[1])


def register_local(cfg: Config, name: str, *, host: str = "127.0.0.1", port: int | None = None,
                   root: Path | None = None, key: str | None = None,
                   headers: dict[str, str] | None = None) -> Registration:
    """Create a local Catchment's root with its id, and add its registration (unsaved) on
    `port` or on a free one no other registration uses."""
    from duckstring.config import Registration, home
    from duckstring.embedded.runner import local_url
    from duckstring.session import mint_identity

    cfg.check_new(name)
    if port is not None and port in (taken := registered_ports(cfg, host)):
        raise CliError(f"port {port} is already registered to {taken[port]!r}; two "
                       "Catchments cannot share it", USAGE,
                       hint="leave -p out to get a free port, or pick another")
    chosen = port if port is not None else pick_port(cfg, host)
    root = (root or home() / name).expanduser().absolute()
    root.mkdir(parents=True, exist_ok=True)
    url = local_url(host, chosen)
    reg = Registration(name=name, url=url, root=root, key=key or None, headers=headers or {},
                       host=None if url == f"http://{host}:{chosen}" else host,
                       id=mint_identity(root, name))
    cfg.add(reg)
    return reg


def choose_default(cfg: Config, name: str, choice: bool | None, yes: bool) -> str | None:
    """Make `name` the default unless told not to (a terminal asks, defaulting to yes); the
    first registration, or one replacing a default that is gone, always is. Returns the
    default it replaced, if any."""
    from duckstring.terminal import console

    before = cfg.default if cfg.default in cfg.registrations() and cfg.default != name else None
    if before is not None:
        if choice is None:
            choice = yes or not console.interactive() or console.confirm(
                f"Make {name!r} the default Catchment (now {before!r})?", yes=False,
                default=True)
        if not choice:
            return None
    cfg.set_default(name)
    return before


def _said_default(cfg: Config, name: str, before: str | None) -> str:
    if cfg.default != name:
        return f"; the default stays {cfg.default!r} (use -c {name})"
    if before is None:
        return " (the default)"
    return (f"; it is now the default instead of {before!r} "
            f"(`duckstring catchment set-default {before}` switches back)")


def _ask_name(name: str | None) -> str:
    from duckstring.terminal import console

    if name:
        return name
    if not console.interactive():
        raise typer.BadParameter("give a name with -n NAME", param_hint="--name")
    from rich.prompt import Prompt

    return Prompt.ask("Name of the new Catchment", default="dev", console=console.err())


@app.command()
def init(
    name: str | None = typer.Option(None, "--name", "-n", help="Registration name (asked when missing)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int | None = typer.Option(
        None, "--port", "-p", min=1, max=65535,
        help="Port to listen on (default: 7474, or the next one no registration uses)."),
    root: Path | None = typer.Option(None, "--root", metavar="DIR",
                                     help="Where its state lives (default: ~/.duckstring/NAME)."),
    key: str | None = KEY,
    generate_key: bool = typer.Option(False, "--generate-key",
                                      help="Make a fresh key, print it once and store it."),
    header: list[str] | None = HEADER,
    default: bool | None = DEFAULT_OPT,
    yes: bool = YES,
    no_start: bool = typer.Option(False, "--no-start", help="Register only; do not start it."),
    data_url: str | None = typer.Option(
        None, "--data-url", metavar="URL",
        help="Keep published tables at URL (s3://bucket/prefix, gs://…, az://…, file:///…) "
             "instead of under the root; credentials come from the standard environment."),
    launcher: str | None = typer.Option(
        None, "--launcher", metavar="local|ray",
        help="Where its Ducks run unless their Pond says otherwise (default: local); ray "
             "needs --data-url on an object store."),
    ray_address: str | None = typer.Option(
        None, "--ray-address", metavar="HOST:PORT",
        help="The Ray cluster for --launcher ray (default: RAY_ADDRESS, or a cluster on this "
             "machine)."),
) -> None:
    """Create a local Catchment, register it and serve it in the foreground.

    Makes the root, registers it on a port no other registration uses, makes it the default
    (unless --no-default), then serves it until Ctrl+C. With --no-start it only registers:
    later commands start it on demand when it is not running.

    Example: [bold]duckstring catchment init -n dev --generate-key[/]
    Example: [bold]duckstring catchment init -n dev --no-start[/]
    Example: [bold]duckstring catchment init -n prod --data-url s3://lake/duckstring[/]
    Example: [bold]duckstring catchment init -n big --data-url s3://lake/ds --launcher ray --ray-address head:6379[/]
    """
    import secrets

    from duckstring.terminal import console

    if key and generate_key:
        raise typer.BadParameter("--key and --generate-key are mutually exclusive",
                                 param_hint="--key / --generate-key")
    if data_url is not None:
        from duckstring.lake.where import check_url

        try:
            data_url = check_url(data_url)
        except ValueError as e:
            raise typer.BadParameter(str(e), param_hint="--data-url") from None
    launch = _launch_settings(launcher, ray_address, data_url, root)
    headers = parse_headers(header)
    cfg = _config()
    name = _ask_name(name)
    if generate_key:
        key = secrets.token_urlsafe(32)
    reg = register_local(cfg, name, host=host, port=port, root=root, key=key, headers=headers)
    if data_url is not None:
        _keep_data_url(reg, data_url)
    if launch:
        _keep_launch_settings(reg, launch)
    before = choose_default(cfg, name, default, yes)
    cfg.save()
    chosen = reg.url.rpartition(":")[2]
    why = ""
    if port is None and int(chosen) != DEFAULT_PORT:
        owner = registered_ports(cfg, host).get(DEFAULT_PORT)
        why = f" ({DEFAULT_PORT} is {owner!r}'s)" if owner else f" ({DEFAULT_PORT} is in use)"
    console.say(f"registered local Catchment {name!r} on port {chosen}{why}: {reg.url}, "
                f"root {reg.root}{_said_default(cfg, name, before)}")
    if generate_key:
        console.say(f"API key (shown once; stored in {cfg.path}): {key}")
    if no_start:
        console.note(f"start it with `duckstring catchment start {name}`, or just use it: "
                     "commands start it on demand")
        return
    _serve(reg)


def _keep_data_url(reg: Registration, url: str) -> None:
    """The root's tables live at `url` from now on (`data.url`, docs/operating.md §4)."""
    from duckstring.layout import Layout

    assert reg.root is not None
    where = Layout(reg.root).data_url
    kept = where.read_text(encoding="utf-8").strip() if where.is_file() else ""
    if kept and kept != url:
        raise CliError(f"{reg.root} keeps its tables at {kept}; a root's data URL cannot "
                       "change (its tables would be left behind)", USAGE)
    where.parent.mkdir(parents=True, exist_ok=True)
    where.write_text(url + "\n", encoding="utf-8")


def _launch_settings(launcher: str | None, ray_address: str | None, data_url: str | None,
                     root: Path | None) -> dict[str, str]:
    """`--launcher`/`--ray-address` checked before anything is made (docs/scale.md)."""
    from duckstring.embedded.placement import LAUNCHERS, REMOTE

    out: dict[str, str] = {}
    if launcher is not None:
        if launcher.strip().lower() not in LAUNCHERS:
            raise typer.BadParameter(f"{launcher!r} is not one of {', '.join(LAUNCHERS)}",
                                     param_hint="--launcher")
        out["launcher"] = launcher.strip().lower()
    if ray_address is not None:
        if out.get("launcher", "ray") != "ray" or not ray_address.strip():
            raise typer.BadParameter("--ray-address goes with --launcher ray",
                                     param_hint="--ray-address")
        out["ray_address"] = ray_address.strip()
    if out.get("launcher") in REMOTE:
        from duckstring.lake.where import data_url as kept_url
        from duckstring.layout import Layout

        url = data_url or (kept_url(Layout(root), {}) if root is not None else None)
        if url is None or url.startswith("file:"):
            raise typer.BadParameter(
                f"--launcher {out['launcher']} runs Ducks on other machines, which cannot "
                "reach tables on this one; add --data-url s3://… (or gs://, az://)",
                param_hint="--launcher")
    return out


def _keep_launch_settings(reg: Registration, values: dict[str, str]) -> None:
    """The root's launcher and Ray address, in duck.db (`DUCKSTRING_LAUNCHER` and
    `DUCKSTRING_RAY_ADDRESS` override them)."""
    from duckstring.embedded.store import Store, meta
    from duckstring.layout import Layout

    assert reg.root is not None
    store = Store(Layout(reg.root).db)
    try:
        with store.transaction() as conn:
            for key, value in values.items():
                meta.put(conn, key, value)
    finally:
        store.close()


def _serve(reg: Registration) -> None:
    from duckstring.embedded.root_lock import RootLocked
    from duckstring.embedded.runner import serve_forever
    from duckstring.session import build_server
    from duckstring.terminal import console

    try:
        server = build_server(reg)
    except RootLocked as e:
        raise CliError(f"{reg.name!r} is already running: {e}", FAILED) from None

    def ready(_: object) -> None:
        console.say(f"Catchment {reg.name!r} serving on {reg.url} (root {reg.root}); "
                            "Ctrl+C stops it")

    serve_forever(server, on_ready=ready)
    console.note(f"Catchment {reg.name!r} stopped")


@app.command()
def start(name: str | None = typer.Argument(None, metavar="NAME",
                                            help="Registration (default: the resolved one).")) -> None:
    """Serve a registered local Catchment in the foreground (Ctrl+C stops it).

    It uses the registration's address and stored key.

    Example: [bold]duckstring catchment start dev[/]
    """
    reg = _config().resolve(name)
    if not reg.local:
        raise CliError(f"{reg.name!r} is a remote Catchment ({reg.url}); only local ones start "
                       "here", USAGE)
    _serve(reg)


@app.command()
def connect(
    name: str = typer.Option(..., "--name", "-n", help="Registration name."),
    url: str = typer.Option(..., "--url", "--path", metavar="URL", help="The Catchment's URL."),
    key: str | None = KEY,
    header: list[str] | None = HEADER,
    default: bool | None = DEFAULT_OPT,
    yes: bool = YES,
) -> None:
    """Register a remote Catchment after checking that it answers (and accepts the key).

    The registration remembers the Catchment's id, so a URL that later answers with another
    Catchment is refused instead of used.

    Example: [bold]duckstring catchment connect -n prod --url https://catchment.example.com --key K[/]
    """
    from dataclasses import replace

    from duckstring.client import Client
    from duckstring.config import Registration
    from duckstring.terminal import console

    url = url.rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise typer.BadParameter(f"{url!r} is not an http(s) URL", param_hint="--url")
    reg = Registration(name=name, url=url, key=key or None, headers=parse_headers(header))
    cfg = _config()
    cfg.check_new(name)  # refuses a duplicate name before we talk to anyone
    client = Client(reg, timeout=15)
    try:
        client.check_health()
        ident = client.identity()
    finally:
        client.close()
    twin = next((r for r in cfg.registrations().values() if r.id and r.id == ident.get("id")),
                None)
    if twin is not None:
        console.warn(f"{twin.name!r} is the same Catchment ({twin.url})")
    cfg.add(replace(reg, id=ident.get("id")))
    before = choose_default(cfg, name, default, yes)
    cfg.save()
    console.say(f"registered {name!r}: {url} (Catchment {ident.get('name')!r}, "
                f"duckstring {ident.get('version')}){_said_default(cfg, name, before)}")


@app.command("list")
def list_(json_out: bool = JSON) -> None:
    """All registrations: ● marks the default; URL, local or remote, and reachability.

    Reachable means the registration's own Catchment answers there: another Catchment on
    that URL, and a port two registrations share, are flagged.

    Example: [bold]duckstring catchment list[/]
    """
    from concurrent.futures import ThreadPoolExecutor

    from rich.table import Table

    from duckstring.terminal import console

    cfg = _config()
    regs = list(cfg.registrations().values())
    with ThreadPoolExecutor(max_workers=8) as pool:
        checks = list(pool.map(_reachability, regs))
    shared = _shared_urls(regs)
    if json_out:
        print_json({"default": cfg.default, "catchments": [
            {"name": r.name, "url": r.url, "local": r.local, "id": r.id,
             "root": str(r.root) if r.root else None, "reachable": state == "yes",
             "state": state, "shares_port_with": shared.get(r.name, []),
             "default": r.name == cfg.default} for r, state in zip(regs, checks, strict=True)]})
        return
    if not regs:
        from duckstring.config import HOW_TO_CREATE

        console.say(f"no Catchment is registered; {HOW_TO_CREATE}")
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("", "name", "url", "reachable", "kind"):
        table.add_column(col, no_wrap=col != "kind", overflow="fold")
    for reg, state in zip(regs, checks, strict=True):
        kind = f"local, root {reg.root}" if reg.local else "remote"
        shown = {"yes": "[green]yes[/]", "no": "[dim]no (starts on demand)[/]" if reg.local
                 else "[red]no[/]"}.get(state, f"[red]{console.escape(state)}[/]")
        if reg.name in shared:
            shown += f" [yellow]· port shared with {', '.join(shared[reg.name])}[/]"
        table.add_row("●" if reg.name == cfg.default else "", reg.name, reg.url, shown, kind)
    console.out().print(table)


def _reachability(reg: Registration) -> str:
    """`yes` when the registration's own Catchment answers, `no` when nothing does, else
    what is wrong (another Catchment, a refused key)."""
    from duckstring.client import Client

    client = Client(reg, timeout=2)
    try:
        if not client.health():
            return "no"
        if reg.id is None:
            return "yes"
        try:
            found = client.identity()
        except ApiError as e:
            return "refused" if e.refused else "answers, but not as a Catchment"
        return "yes" if found.get("id") == reg.id else f"another Catchment ({found.get('name')})"
    finally:
        client.close()


def _shared_urls(regs: list[Registration]) -> dict[str, list[str]]:
    """Registration name → the other registrations on the same host and port."""
    from urllib.parse import urlsplit

    by_addr: dict[tuple[str, int], list[str]] = {}
    for r in regs:
        parts = urlsplit(r.url)
        host = parts.hostname or ""
        host = "127.0.0.1" if host in _LOCAL_HOSTS else host
        port = parts.port or (443 if parts.scheme == "https" else 80)
        by_addr.setdefault((host, port), []).append(r.name)
    return {n: [m for m in names if m != n] for names in by_addr.values() if len(names) > 1
            for n in names}


@app.command("set-default")
def set_default(name: str = typer.Argument(..., metavar="NAME")) -> None:
    """Make NAME the default Catchment.

    Example: [bold]duckstring catchment set-default prod[/]
    """
    from duckstring.terminal import console

    cfg = _config()
    cfg.set_default(name)
    cfg.save()
    console.say(f"{name!r} is the default Catchment")


@app.command()
def disconnect(
    name: str = typer.Argument(..., metavar="NAME"),
    purge: bool = typer.Option(False, "--purge", help="Also delete a local Catchment's root."),
) -> None:
    """Unregister a Catchment, and for a local one offer to delete its root.

    --purge deletes the root without asking.

    Example: [bold]duckstring catchment disconnect scratch --purge[/]
    """
    from duckstring.terminal import console

    cfg = _config()
    reg = cfg.get(name)
    root = reg.root
    delete = False
    if root is not None and root.exists():
        from duckstring.embedded.root_lock import FileLock
        from duckstring.layout import Layout

        if FileLock(Layout(root).lock).is_held():
            raise CliError(f"{name!r} is running (its root {root} is in use); stop it first",
                           FAILED)
        delete = purge or console.confirm(f"Delete its root {root} and everything in it?",
                                          yes=False, default=False)
    cfg.remove(name)
    cfg.save()
    known.path(name).unlink(missing_ok=True)
    console.say(f"unregistered {name!r}")
    if delete and root is not None:
        shutil.rmtree(root)
        console.say(f"deleted {root}")
    elif root is not None and root.exists():
        console.note(f"its root stays in {root}")


@app.command()
def download(
    catchment: str | None = CATCHMENT,
    path: Path = typer.Option(Path(".duckstring"), "--path", metavar="DIR",
                              help="Where to put the root (default ./.duckstring)."),
    with_secrets_key: bool = typer.Option(
        False, "--with-secrets-key",
        help="Also fetch the secrets' key into DIR.secrets-key (mode 0600), beside the root."),
    yes: bool = YES,
) -> None:
    """Download a Catchment's whole root, so it can start elsewhere unchanged.

    State, deployed Ponds and published data: shows the size, asks, streams with a progress
    bar, then verifies what arrived. Secrets arrive encrypted and unusable unless
    --with-secrets-key asks for their key too.

    Example: [bold]duckstring catchment download -c prod[/]
    """
    from duckstring.embedded.archive import ArchiveError, extract_archive
    from duckstring.embedded.root_lock import FileLock
    from duckstring.layout import Layout
    from duckstring.terminal import console

    dest = path.expanduser().absolute()
    if dest.exists() and FileLock(Layout(dest).lock).is_held():
        raise CliError(f"{dest} is the root of a running Catchment; choose another --path",
                       USAGE)
    with open_catchment(catchment) as s:
        if s.reg.root is not None and s.reg.root.absolute() == dest:
            raise CliError(f"{dest} is {s.reg.name!r}'s own root; choose another --path", USAGE)
        usage = s.client.usage()
        size = console.human_bytes(usage["total_bytes"])
        console.say(f"{s.reg.name!r} holds {size} in {usage['file_count']} files; "
                    f"downloading writes about that much into {dest}")
        if not console.confirm(
            f"Download {size} ({usage['file_count']} files) from {s.reg.name!r} into {dest}?",
            yes=yes, default=True, refusal=f"this downloads {size}; pass -y to go ahead",
        ):
            raise typer.Exit(1)
        replace = False
        if dest.exists() and any(dest.iterdir()):
            replace = console.confirm(f"{dest} is not empty; replace it?", yes=yes,
                                      refusal=f"{dest} is not empty; pass -y to replace it")
            if not replace:
                raise typer.Exit(1)
        with s.client.archive() as resp, _progress(
                usage["total_bytes"]) as advance:
            def chunks() -> Iterator[bytes]:
                for chunk in resp.iter_bytes():
                    advance(len(chunk))
                    yield chunk

            try:
                counts = extract_archive(chunks(), dest, replace=replace)
            except ArchiveError as e:
                raise CliError(f"the download failed verification: {e}", FAILED) from None
        if with_secrets_key:
            from duckstring.commands.team import save_secrets_key

            save_secrets_key(s.client.secrets_key(), dest)
    console.say(
        f"downloaded {counts['files']} files ({console.human_bytes(counts['bytes'])}) into "
        f"{dest}; verified")
    if usage.get("data_url"):
        console.note(f"published tables stay where they are, at {usage['data_url']}; the "
                     "download holds the Catchment's state and points there")
    console.note(f"serve it with `duckstring catchment init -n NAME --root {path}` (or "
                 f"DUCKSTRING_ROOT={path} waitress-serve duckstring.embedded.wsgi:app)")


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on a terminal, nothing elsewhere; yields `advance(n)`."""
    from duckstring.terminal import console

    err = console.err()
    if not err.is_terminal:
        yield lambda n: None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                  TransferSpeedColumn(), console=err) as progress:
        task = progress.add_task("downloading", total=total or None)
        yield lambda n: progress.advance(task, n)
