"""`duckstring catchment`: create, start, register and download Catchments (cli.md)."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import typer

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


def _offer_default(cfg: Config, name: str, yes: bool) -> None:
    from duckstring.terminal import console

    others = [n for n in cfg.registrations() if n != name]
    if not others or cfg.default not in cfg.registrations() or console.confirm(f"Make {name!r} the default Catchment (now {cfg.default!r})?", yes=yes):
        cfg.set_default(name)


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
    port: int = typer.Option(7474, "--port", "-p", min=1, max=65535, help="Port to listen on."),
    root: Path | None = typer.Option(None, "--root", metavar="DIR",
                                     help="Where its state lives (default: ~/.duckstring/NAME)."),
    key: str | None = KEY,
    generate_key: bool = typer.Option(False, "--generate-key",
                                      help="Make a fresh key, print it once and store it."),
    header: list[str] | None = HEADER,
    yes: bool = YES,
    no_start: bool = typer.Option(False, "--no-start", help="Register only; do not start it."),
) -> None:
    """Create a local Catchment, register it and serve it in the foreground.

    Makes the root, registers it, offers to make it the default, then serves it until
    Ctrl+C. Later commands also start it on demand when it is not running.

    Example: [bold]duckstring catchment init -n dev --generate-key[/]
    """
    import secrets

    from duckstring.config import Registration, home
    from duckstring.embedded.runner import local_url
    from duckstring.terminal import console

    if key and generate_key:
        raise typer.BadParameter("--key and --generate-key are mutually exclusive",
                                 param_hint="--key / --generate-key")
    headers = parse_headers(header)
    cfg = _config()
    name = _ask_name(name)
    if generate_key:
        key = secrets.token_urlsafe(32)
    root = (root or home() / name).expanduser().absolute()
    url = local_url(host, port)
    reg = Registration(name=name, url=url, root=root, key=key or None, headers=headers,
                       host=None if url == f"http://{host}:{port}" else host)
    cfg.add(reg)
    _offer_default(cfg, name, yes)
    root.mkdir(parents=True, exist_ok=True)
    cfg.save()
    console.say(f"registered local Catchment {name!r}: {reg.url}, root {root}"
                        + (" (default)" if cfg.default == name else ""))
    if generate_key:
        console.say(f"API key (shown once; stored in {cfg.path}): {key}")
    if no_start:
        console.note(f"start it with `duckstring catchment start {name}`, or just use it: "
                     "commands start it on demand")
        return
    _serve(reg)


def _serve(reg: Registration) -> None:
    from duckstring.embedded.lock import RootLocked
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
    path: str = typer.Option(..., "--path", metavar="URL", help="The Catchment's URL."),
    key: str | None = KEY,
    header: list[str] | None = HEADER,
    yes: bool = YES,
) -> None:
    """Register a remote Catchment after checking that it answers (and accepts the key).

    Example: [bold]duckstring catchment connect -n prod --path https://catchment.example.com --key K[/]
    """
    from duckstring.client import Client
    from duckstring.config import Registration
    from duckstring.terminal import console

    url = path.rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise typer.BadParameter(f"{path!r} is not an http(s) URL", param_hint="--path")
    reg = Registration(name=name, url=url, key=key or None, headers=parse_headers(header))
    cfg = _config()
    cfg.add(reg)  # refuses a duplicate name before we talk to anyone
    client = Client(reg, timeout=15)
    try:
        client.get("/api/health")
        ident = client.get("/api/catchment")
    finally:
        client.close()
    _offer_default(cfg, name, yes)
    cfg.save()
    console.say(f"registered {name!r}: {url} (Catchment {ident.get('name')!r}, "
                        f"duckstring {ident.get('version')})"
                        + (" (default)" if cfg.default == name else ""))


@app.command("list")
def list_(json_out: bool = JSON) -> None:
    """All registrations: ● marks the default; URL, local or remote, and reachability.

    Example: [bold]duckstring catchment list[/]
    """
    from concurrent.futures import ThreadPoolExecutor

    from rich.table import Table

    from duckstring.client import Client
    from duckstring.terminal import console

    cfg = _config()
    regs = list(cfg.registrations().values())

    def reachable(reg: Registration) -> bool:
        client = Client(reg, timeout=2)
        try:
            return client.health()
        finally:
            client.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        up = list(pool.map(reachable, regs))
    if json_out:
        print_json({"default": cfg.default, "catchments": [
            {"name": r.name, "url": r.url, "local": r.local,
             "root": str(r.root) if r.root else None, "reachable": ok,
             "default": r.name == cfg.default} for r, ok in zip(regs, up, strict=True)]})
        return
    if not regs:
        from duckstring.config import HOW_TO_CREATE

        console.say(f"no Catchment is registered; {HOW_TO_CREATE}")
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("", "name", "url", "kind", "reachable"):
        table.add_column(col)
    for reg, ok in zip(regs, up, strict=True):
        kind = f"local ({reg.root})" if reg.local else "remote"
        state = "[green]yes[/]" if ok else ("[dim]no (starts on demand)[/]" if reg.local
                                            else "[red]no[/]")
        table.add_row("●" if reg.name == cfg.default else "", reg.name, reg.url, kind, state)
    console.out().print(table)


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
        from duckstring.embedded.lock import FileLock
        from duckstring.layout import Layout

        if FileLock(Layout(root).lock).is_held():
            raise CliError(f"{name!r} is running (its root {root} is in use); stop it first",
                           FAILED)
        delete = purge or console.confirm(f"Delete its root {root} and everything in it?",
                                          yes=False, default=False)
    cfg.remove(name)
    cfg.save()
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
    yes: bool = YES,
) -> None:
    """Download a Catchment's whole root, so it can start elsewhere unchanged.

    State, deployed Ponds and published data: shows the size, asks, streams with a progress
    bar, then verifies what arrived.

    Example: [bold]duckstring catchment download -c prod[/]
    """
    from duckstring.embedded.archive import ArchiveError, extract_archive
    from duckstring.embedded.lock import FileLock
    from duckstring.layout import Layout
    from duckstring.terminal import console

    dest = path.expanduser().absolute()
    if dest.exists() and FileLock(Layout(dest).lock).is_held():
        raise CliError(f"{dest} is the root of a running Catchment; choose another --path",
                       USAGE)
    with open_catchment(catchment) as s:
        if s.reg.root is not None and s.reg.root.absolute() == dest:
            raise CliError(f"{dest} is {s.reg.name!r}'s own root; choose another --path", USAGE)
        usage = s.client.get("/api/catchment/usage")
        size = console.human_bytes(usage["total_bytes"])
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
        with s.client.stream("/api/catchment/archive") as resp, _progress(
                usage["total_bytes"]) as advance:
            def chunks() -> Iterator[bytes]:
                for chunk in resp.iter_bytes():
                    advance(len(chunk))
                    yield chunk

            try:
                counts = extract_archive(chunks(), dest, replace=replace)
            except ArchiveError as e:
                raise CliError(f"the download failed verification: {e}", FAILED) from None
    console.say(
        f"downloaded {counts['files']} files ({console.human_bytes(counts['bytes'])}) into "
        f"{dest}; verified")
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
