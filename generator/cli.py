"""The ``mend`` command line: parse options, call functions, print results.

Nothing here does the work itself, so that tests can call the same functions
directly. Heavy modules (pydantic models, WeasyPrint, pyHanko) are imported
inside the commands that need them, which keeps ``mend --help`` instant.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, TypedDict

import click

from .constants import COMMITMENT_UPDATE_STATUSES, FORMATS, MEETING_KINDS, STATUSES
from .gcpause import no_gc, one_command, spare_exit
from .kinds import KINDS

if TYPE_CHECKING:
    from pathlib import Path

# What this module imports is what defining the commands and printing
# their help needs: click does not import pathlib, so neither does this
# module until a command runs (pathlib and its imports were 8 ms of the
# 140 ms `mend --help` took, see PathType); generator.errors, with its
# dataclasses, waits for the first message (say()).


def say(
    message: object = "",
    *,
    fg: str | None = None,
    err: bool = False,
    bold: bool | None = None,
    dim: bool | None = None,
) -> None:
    """Print one message: the only way this module writes to the terminal.

    Messages quote what case files, templates and emails hold, which is
    other people's text: every control character in it is shown as an
    escape here, at the one edge every message passes through (see
    :func:`generator.errors.escape_controls`), so no message can forget.
    The style is applied after escaping, so it is the one escape left.
    """
    from .errors import escape_controls

    click.secho(escape_controls(str(message)), fg=fg, err=err, bold=bold, dim=dim)


def ask(question: str, **options: Any) -> Any:
    """Ask one question (``click.prompt``), escaped as :func:`say` escapes a message.

    A question may quote a case file: ``mend new --from`` offers its
    answers as suggestions, in the question.
    """
    from .errors import escape_controls

    return click.prompt(escape_controls(question), **options)


class _Group(click.Group):
    """mend's command group: click's own errors are escaped like every message."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        if parent is None and "terminal_width" not in extra:
            extra["terminal_width"] = _help_width(self.context_settings["max_content_width"])
        return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException as exc:
            from .errors import escape_controls

            exc.message = escape_controls(exc.message)  # type: ignore[misc]  # Final in the stubs only
            raise


def _help_width(max_width: int) -> int | None:
    """The width click formats help in, found as click finds it, without shutil.

    click asks ``shutil.get_terminal_size()`` for the columns when it makes
    the first help formatter, and importing shutil (for bz2, lzma and zlib)
    was 6 ms of the 125 ms `mend --help` took. This is the same rule:
    ``$COLUMNS`` if it is a positive number, else the terminal's width, else
    80; then click's ``min(columns, max_width) - 2``, at least 50. None
    while click.testing forces a width, so that click applies it.
    """
    from click import formatting

    if formatting.FORCED_WIDTH is not None:
        return None
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
        columns = columns or 80
    return max(min(columns, max_width) - 2, 50)


class DateType(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date (YYYY-MM-DD)", param, ctx)


class FormatList(click.ParamType):
    """A comma list of formats, checked against the ones mend writes."""

    name = "FORMATS"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[str, ...]:
        if isinstance(value, tuple):
            return value
        items = tuple(dict.fromkeys(v.strip().lower() for v in value.split(",") if v.strip()))
        unknown = [v for v in items if v not in FORMATS]
        if unknown or not items:
            self.fail(
                f"unknown format {', '.join(unknown) or '(none)'}; choose from {', '.join(FORMATS)}",
                param,
                ctx,
            )
        return items


class PathType(click.Path):
    """``click.Path(path_type=pathlib.Path)``, with pathlib imported for the first value.

    ``path_type`` wants the class when the option is declared, which is
    before ``mend --help`` prints anything.
    """

    def coerce_path_result(self, value: str | os.PathLike[str]) -> Any:
        from pathlib import Path

        return value if isinstance(value, Path) else Path(value)


DATE = DateType()
#: One instance of each kind of path option: click names each instance
#: through gettext, which stats the locale folders every time.
FOLDER = PathType(file_okay=False)
EXISTING_FILE = PathType(exists=True, dir_okay=False)
NEW_FILE = PathType(dir_okay=False)


workspace_option = click.option(
    "--workspace",
    "-w",
    type=FOLDER,
    default=".",
    show_default="current folder",
    help="The workspace folder (holds content/, templates/, mend.toml).",
)


def workspace_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--workspace`` and ``--today``: every command that reads cases takes them."""

    @workspace_option
    @click.option(
        "--today", type=DATE, default=None, help="The date taken as today (default: the real date)."
    )
    @functools.wraps(func)
    def wrapper(*args: Any, today: date | None, **kwargs: Any) -> Any:
        return func(*args, today=today or date.today(), **kwargs)

    return wrapper


def output_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--out``, ``--format``, ``--jobs``, ``--force``, ``--quiet``: commands that write documents."""
    func = click.option("--quiet", "-q", is_flag=True, help="Print only warnings and errors.")(func)
    func = click.option(
        "--force", is_flag=True, help="Render everything, even what has not changed."
    )(func)
    func = click.option(
        "--jobs",
        "-j",
        type=click.IntRange(min=1),
        default=None,
        help="Worker processes for rendering (default: the number of cores).",
    )(func)
    func = click.option(
        "--format",
        "-f",
        "formats",
        type=FormatList(),
        default=",".join(FORMATS),
        show_default=True,
        help="Comma list of formats to write: md, html, pdf, eml, ics.",
    )(func)
    func = click.option(
        "--out",
        "-o",
        type=FOLDER,
        default=None,
        help="Output folder (default: <workspace>/output).",
    )(func)
    return func


def _print_warnings(warnings: Iterable[object]) -> None:
    for warning in warnings:
        say(str(warning), fg="yellow", err=True)


def _finish(report: Any, out: Path | None, workspace: Path, quiet: bool = False) -> None:
    """Print what a build did and exit 1 if anything failed."""
    _print_warnings(report.warnings)
    for failure in report.failed:
        say(f"error: {failure}", fg="red", err=True)
    if not quiet or report.failed:
        target = out or workspace / "output"
        removed = f", {len(report.removed)} removed" if report.removed else ""
        say(
            f"{len(report.written)} written, {report.skipped + len(report.unchanged)} skipped "
            f"(unchanged){removed}, {len(report.failed)} failed in {report.seconds:.2f}s -> {target}"
        )
    if report.failed:
        sys.exit(1)


def _run_build(quiet: bool, **kwargs: Any) -> Any:
    """Run a build with a progress bar on a terminal, when it has real work."""
    from .build import build as run_build

    show = not quiet and sys.stderr.isatty()
    bar: Any = None

    def on_start(total: int) -> None:
        nonlocal bar
        if show and total >= 20:
            bar = click.progressbar(length=total, label="Building", file=sys.stderr, show_pos=True)
            bar.__enter__()

    def progress(n: int) -> None:
        if bar is not None:
            bar.update(n)

    def on_wait(message: str) -> None:  # another build holds the output folder
        say(message, err=True)

    try:
        return run_build(on_start=on_start, progress=progress, on_wait=on_wait, **kwargs)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


@click.group(
    cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.version_option(package_name="mend", prog_name="mend")
def main() -> None:
    """mend: documents for winning back a client's trust.

    Keep one YAML case file per client situation in content/; mend writes the
    internal prep brief, the client agenda, the living recovery plan, recap
    emails, the check-in calendar and a signable agreement into output/.
    """
    # mend uses no pydantic plugin, and looking for them reads the entry
    # points of every installed package when the first model is built: 2 %
    # of the instructions of `mend log`'s imports. A value the user set wins.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")


@main.command()
@click.argument("cases", nargs=-1, metavar="[CASE]...")
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings and coaching notes too.")
@click.option(
    "--signed",
    type=EXISTING_FILE,
    default=None,
    help="A signed agreement PDF: note where the case has moved away from what was signed.",
)
@workspace_options
def check(
    cases: tuple[str, ...], strict: bool, signed: Path | None, workspace: Path, today: date
) -> None:
    """Validate case files (all of content/ by default); write nothing.

    Prints every error with its file, line and field, warnings that do not
    stop a build, and coaching notes: what a seasoned account lead would
    point out before the next meeting (lines starting "coach:"). Exits 1 if
    any case is invalid, or with --strict if there is any warning or note.
    """
    from .build import Workspace, load_cases
    from .coach import coach
    from .errors import CaseError

    ws = Workspace.open(workspace)
    paths = [ws.resolve_case(c) for c in cases] if cases else ws.case_paths()
    not_cases = [] if cases else ws.content_problems()
    if not paths and not not_cases:
        raise click.ClickException(f"no case files in {ws.display(ws.content)}/")
    result = load_cases(ws, paths, today)
    result.errors[:0] = [CaseError([problem]) for problem in not_cases]
    _print_warnings(f"warning: {w}" for w in result.warnings)
    notes = [note for cf in result.cases for note in coach(cf, today, ws.config.coach)]
    if signed is not None:
        from .coach import signed_copy_notes

        if len(result.cases) != 1:
            raise click.ClickException("--signed compares one case: name it")
        notes += signed_copy_notes(result.cases[0], signed, today)
    for note in notes:
        say(f"coach: {note}", fg="cyan", err=True)
    for error in result.errors:
        for problem in error.problems:
            say(f"error: {problem}", fg="red", err=True)
    valid, invalid = len(result.cases), len(result.errors)
    say(
        f"{valid} valid, {invalid} invalid, {len(result.warnings)} warnings, "
        f"{len(notes)} coaching note{'s' if len(notes) != 1 else ''}"
    )
    if invalid or (strict and (result.warnings or notes)):
        sys.exit(1)


@main.command()
@click.argument("directory", type=FOLDER)
@click.option(
    "--today",
    type=DATE,
    default=None,
    help="The date the example case's dates count from (default: the real date).",
)
def init(directory: Path, today: date | None) -> None:
    """Make a new workspace in DIRECTORY: settings, an example case, templates/.

    Writes a commented mend.toml, content/example-case.yaml (an annotated
    case to read and build), templates/README.md (how to override the
    theme) and a .gitignore for output/. DIRECTORY may already exist, but
    none of those files may: init never overwrites anything.
    """
    from .scaffold import init as make_workspace

    for path in make_workspace(directory, today=today or date.today()):
        say(f"wrote {path}")
    say(
        f"Next: cd {directory}, read content/example-case.yaml, run `mend build` "
        "(or `mend serve`), and start your own case with `mend new`."
    )


@main.command()
@click.option(
    "--id",
    "case_id",
    metavar="ID",
    default=None,
    help="The new case's id, and its file name (default: asked, suggested from the client).",
)
@click.option(
    "--from",
    "source",
    metavar="CASE",
    default=None,
    help="Suggest the answers of an existing case (an id or a path).",
)
@workspace_options
def new(case_id: str | None, source: str | None, workspace: Path, today: date) -> None:
    """Write a new case by a guided interview, in the order of the method.

    Asks one short question at a time, each with an example: be prepared,
    the facts, the feelings, what was left unsaid, questions, restatements,
    framing, what we own, affirmations, the plan and the check-ins. A wrong
    answer (a date that does not exist, say) is asked again. Writes
    content/ID.yaml with comments, and never replaces an existing file.
    Meetings and the agreement come later (`mend log`, or by hand).
    """
    from .prompts import Interview
    from .scaffold import new_case
    from .workspace import Workspace

    ws = Workspace.open(workspace)
    ui = Interview(prompt=ask, echo=say)
    written = new_case(ws, today=today, case_id=case_id, source=source, ui=ui)
    say(f"\nwrote {written.display}")
    _print_warnings(f"warning: {w}" for w in written.warnings)
    for note in written.notes:
        say(f"coach: {note}", fg="cyan", err=True)
    say(
        f"Next: `mend check {written.path.stem}`, then `mend build` "
        "(or `mend serve` to see the documents as you edit)."
    )


@main.command()
@click.option(
    "--port",
    "-p",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="The port on 127.0.0.1 to serve on (0: any free port).",
)
@workspace_option
@click.option(
    "--today",
    type=DATE,
    default=None,
    help="The date taken as today (default: the real date, at each rebuild).",
)
@click.option(
    "--out",
    "-o",
    type=FOLDER,
    default=None,
    help="Output folder to build into and serve (default: <workspace>/output).",
)
@click.option(
    "--format",
    "-f",
    "formats",
    type=FormatList(),
    default="html,md",
    show_default=True,
    help="Comma list of formats to build; must include html. Add pdf to preview print.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Worker processes for the first build of a large workspace; a rebuild after an "
    "edit renders only what the edit touched.",
)
def serve(
    port: int,
    workspace: Path,
    today: date | None,
    out: Path | None,
    formats: tuple[str, ...],
    jobs: int,
) -> None:
    """Build, serve the output on this computer only, and rebuild as you edit.

    Serves the output folder at http://127.0.0.1:PORT/ (never on the
    network). Whenever a file in content/, templates/ or assets/, or
    mend.toml, changes, only what it affects is rebuilt, and the page open
    in the browser reloads by itself. A case that becomes invalid keeps its
    last good pages, which then show its errors at the top, and the server
    keeps running. By default only HTML and Markdown are built, because they
    are quick; PDFs already in the output folder are left as they were.
    Ctrl-C stops it.
    """
    from .gcpause import long_running
    from .serve import Preview
    from .serve import serve as run_server

    long_running()  # rebuild after rebuild: nothing may be frozen (gcpause.py)

    def echo(message: str, error: bool) -> None:
        if error:
            say(message, fg="red" if message.startswith("error") else "yellow", err=True)
        else:
            say(message)

    run_server(
        Preview(workspace, port=port, out=out, formats=formats, today=today, jobs=jobs, echo=echo)
    )


@main.command()
@workspace_options
@output_options
def build(
    workspace: Path,
    today: date,
    out: Path | None,
    formats: tuple[str, ...],
    jobs: int | None,
    force: bool,
    quiet: bool,
) -> None:
    """Build every case in content/ into the output folder.

    Writes all documents in all formats (or those of --format), and
    output/index.html. Only what changed since the last build is rendered:
    output/.mend-manifest.json records what each file was made from. Files
    of removed cases are removed. An invalid case is reported and skipped,
    its previous output kept; the exit code is then 1.
    """
    report = _run_build(
        quiet, root=workspace, today=today, out=out, formats=formats, jobs=jobs, force=force
    )
    _finish(report, out, workspace, quiet)


def _build_one_kind(
    kind: str,
    case: str,
    *,
    workspace: Path,
    today: date,
    out: Path | None,
    formats: tuple[str, ...],
    jobs: int | None,
    force: bool,
    quiet: bool,
    meeting: date | None = None,
) -> None:
    report = _run_build(
        quiet,
        root=workspace,
        jobs=jobs,
        force=force,
        today=today,
        out=out,
        formats=formats,
        kinds=(kind,),
        cases=[case],
        only_date=meeting,
    )
    if not (report.written or report.unchanged or report.skipped or report.failed):
        from .errors import Problem

        report.failed.append(
            Problem(
                case,
                None,
                "",
                f"no {kind} to build as of {today.isoformat()} ({KINDS[kind].none_reason})",
            )
        )
    _finish(report, out, workspace, quiet)


def _single_document(kind: str, summary: str) -> click.Command:
    """``mend KIND CASE``, for a kind of the registry that has a command of its own."""

    @click.argument("case")
    @workspace_options
    @output_options
    @no_gc()  # one document of one case: little garbage, costly collections (gcpause.py)
    def command(case: str, **options: Any) -> None:
        _build_one_kind(kind, case, **options)

    command.__doc__ = summary
    return click.command(kind)(command)


for _kind in KINDS:
    if _kind.command_help is not None:
        main.add_command(_single_document(_kind.name, _kind.command_help))


@main.command()
@click.argument("case")
@click.option(
    "--meeting", type=DATE, default=None, help="The meeting's date (default: every held meeting)."
)
@workspace_options
@output_options
def recap(case: str, meeting: date | None, formats: tuple[str, ...], **options: Any) -> None:
    """Build the recap email (.eml) of a held meeting of a case.

    A meeting is held once it has a summary, heard, decisions, actions or
    progress. The message goes to the client contacts with an email, copied
    to the team; send it with `mend send`.
    """
    if "eml" not in formats:
        raise click.BadParameter("a recap is an email: use --format eml", param_hint="--format")
    _build_one_kind("recap", case, meeting=meeting, formats=("eml",), **options)


@main.command()
@click.argument("name")
@click.option(
    "--out",
    "-o",
    type=NEW_FILE,
    required=True,
    help="The PKCS#12 file to write (KEY.p12); the certificate goes beside it as KEY.crt.",
)
@click.option("--email", default=None, help="An email address to put in the certificate.")
@click.option(
    "--passphrase-env",
    metavar="VAR",
    default=None,
    help="Encrypt the key with the passphrase in this environment variable.",
)
@click.option(
    "--ca", is_flag=True, help="Make a certificate authority for your team, not a signer's key."
)
@click.option(
    "--issuer",
    type=EXISTING_FILE,
    default=None,
    help="Issue the signer's certificate from this CA (a .p12 made with --ca).",
)
@click.option(
    "--issuer-passphrase-env",
    metavar="VAR",
    default=None,
    help="The environment variable holding the CA key's passphrase.",
)
def keygen(
    name: str,
    out: Path,
    email: str | None,
    passphrase_env: str | None,
    ca: bool,
    issuer: Path | None,
    issuer_passphrase_env: str | None,
) -> None:
    """Make a certificate and key for NAME: self-signed, a team CA, or issued by one.

    A self-signed certificate proves the document is unchanged since this key
    signed it, not who holds the key: hand KEY.crt to the other party, and
    `mend verify --trust KEY.crt` reports the signature as trusted. With
    --ca, NAME is your team's certificate authority; each person's key made
    with --issuer CA.p12 then chains to it, so a client trusts one CA
    certificate instead of each person's.
    """
    from .errors import MendError
    from .signing import certificate_path
    from .signing import keygen as make_key

    if ca and issuer is not None:
        raise MendError("give either --ca or --issuer, not both")
    make_key(
        name,
        out,
        passphrase=_passphrase(passphrase_env),
        email=email,
        ca=ca,
        issuer=issuer,
        issuer_passphrase=_passphrase(issuer_passphrase_env),
    )
    what = "certificate authority" if ca else "private key and certificate"
    say(f"wrote {out} ({what}) and {certificate_path(out)} (certificate to share)")


def _passphrase(var: str | None) -> bytes | None:
    if var is None:
        return None
    from .errors import MendError

    value = os.environ.get(var)
    if value is None:
        raise MendError(f"environment variable {var} is not set (it should hold the passphrase)")
    return value.encode("utf-8")


def _tsa_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--tsa`` (repeatable) and ``--workspace`` for its defaults in mend.toml."""
    func = workspace_option(func)
    func = click.option(
        "--tsa",
        "tsas",
        metavar="URL",
        multiple=True,
        help="An RFC 3161 time-stamp authority; repeatable, tried in order "
        "(default: [signing] tsa in mend.toml).",
    )(func)
    return func


def _validation_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Files of validation data for --ltv and `mend timestamp`."""
    func = click.option(
        "--fetch",
        is_flag=True,
        help="Let pyHanko fetch missing CRLs and OCSP answers from the URLs in the certificates.",
    )(func)
    func = click.option(
        "--ocsp",
        "ocsps",
        type=EXISTING_FILE,
        multiple=True,
        help="An OCSP response (DER) to embed.",
    )(func)
    func = click.option(
        "--crl", "crls", type=EXISTING_FILE, multiple=True, help="A CRL (DER or PEM) to embed."
    )(func)
    func = click.option(
        "--cert",
        "certs",
        type=EXISTING_FILE,
        multiple=True,
        help="A CA certificate of the signer's or the TSA's chain to embed; repeatable.",
    )(func)
    return func


def _timestamper(tsas: tuple[str, ...], workspace: Path, required: bool) -> Any:
    """The first TSA that answers, from --tsa or mend.toml; None when none is asked for."""
    from .config import load_config
    from .tsa import choose_timestamper

    config = load_config(workspace) if workspace.is_dir() else None
    urls = list(tsas) or (list(config.signing.tsa) if config else [])
    if not urls and not required:
        return None
    timeout = config.signing.tsa_timeout if config else 10.0
    url, timestamper = choose_timestamper(urls, timeout)
    say(f"time-stamp authority: {url}", err=True)
    return timestamper


@main.command()
@click.argument("pdf", type=EXISTING_FILE)
@click.option(
    "--key",
    "-k",
    type=EXISTING_FILE,
    required=True,
    help="Your certificate and key as PKCS#12 (.p12, .pfx).",
)
@click.option(
    "--passphrase-env",
    metavar="VAR",
    default=None,
    help="Read the key's passphrase from this environment variable.",
)
@click.option(
    "--field",
    default=None,
    help="The signature field to sign, e.g. sig-dana-okafor (default: the first empty one).",
)
@click.option(
    "--out",
    "-o",
    type=NEW_FILE,
    default=None,
    help="Where to write the signed PDF (default: PDF with -signed before the suffix).",
)
@click.option("--in-place", is_flag=True, help="Replace PDF with the signed file.")
@click.option(
    "--certify",
    is_flag=True,
    help="Certify the document (first signature only): later revisions may only fill in and sign.",
)
@click.option(
    "--ltv", is_flag=True, help="Embed validation data for long-term validation (PAdES B-LT)."
)
@click.option(
    "--archive",
    is_flag=True,
    help="Add a document time-stamp over it all (PAdES B-LTA); implies --ltv, needs a TSA.",
)
@_validation_options
@_tsa_options
def sign(
    pdf: Path,
    key: Path,
    passphrase_env: str | None,
    field: str | None,
    out: Path | None,
    in_place: bool,
    certify: bool,
    ltv: bool,
    archive: bool,
    certs: tuple[Path, ...],
    crls: tuple[Path, ...],
    ocsps: tuple[Path, ...],
    fetch: bool,
    tsas: tuple[str, ...],
    workspace: Path,
) -> None:
    """Sign one signatory's field of an agreement PDF.

    The signature is added as an incremental update, so a signature made
    earlier stays valid and the other party can sign after you. With a
    time-stamp authority (--tsa, or [signing] tsa in mend.toml) the signature
    carries a trusted time (PAdES B-T); if no TSA answers, nothing is signed.
    """
    from .errors import MendError
    from .signing import ValidationMaterial, sign_pdf

    if in_place and out is not None:
        raise MendError("give either --out or --in-place, not both")
    ltv = ltv or archive
    material = ValidationMaterial(certs=certs, crls=crls, ocsps=ocsps, fetch=fetch) if ltv else None
    target = pdf if in_place else out or pdf.with_name(f"{pdf.stem}-signed{pdf.suffix}")
    passphrase = _passphrase(passphrase_env)
    timestamper = _timestamper(tsas, workspace, required=archive)
    signed = sign_pdf(
        pdf,
        key,
        passphrase=passphrase,
        field=field,
        out=target,
        timestamper=timestamper,
        certify=certify,
        ltv=material,
        archive=archive,
    )
    say(f"signed {signed} -> {target}")


@main.command()
@click.argument("pdf", type=EXISTING_FILE)
@click.option(
    "--out",
    "-o",
    type=NEW_FILE,
    default=None,
    help="Where to write the result (default: replace PDF).",
)
@_validation_options
@_tsa_options
def timestamp(
    pdf: Path,
    out: Path | None,
    certs: tuple[Path, ...],
    crls: tuple[Path, ...],
    ocsps: tuple[Path, ...],
    fetch: bool,
    tsas: tuple[str, ...],
    workspace: Path,
) -> None:
    """Renew the archival time-stamp of a signed PDF (PAdES B-LTA).

    Embeds the validation data of the last time-stamp and adds a new
    document time-stamp over the whole file: run it before the last
    time-stamp's certificate expires, and the signatures stay checkable.
    """
    from .signing import ValidationMaterial, timestamp_pdf

    timestamper = _timestamper(tsas, workspace, required=True)
    material = ValidationMaterial(certs=certs, crls=crls, ocsps=ocsps, fetch=fetch)
    target = out or pdf
    timestamp_pdf(pdf, timestamper, out=target, material=material)
    say(f"time-stamped {pdf} -> {target}")


@main.command()
@click.argument("pdf", type=EXISTING_FILE)
@click.option(
    "--trust",
    type=EXISTING_FILE,
    multiple=True,
    help="A certificate (PEM or DER) to trust; repeatable.",
)
@click.option("--require-signed", is_flag=True, help="Fail unless every signature field is signed.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--case",
    "case",
    default=None,
    help="Compare the agreement.json the PDF carries with this case's agreement today.",
)
@workspace_options
def verify(
    pdf: Path,
    trust: tuple[Path, ...],
    require_signed: bool,
    as_json: bool,
    case: str | None,
    workspace: Path,
    today: date,
) -> None:
    """Check every signature in a PDF.

    Lists every signature field, signed or not; for each signature, the
    signer, the signing time and the time-stamp (and its authority), whether
    the signed bytes are intact, what it covers and what changed after it,
    the trust in its certificate and the PAdES level reached. Exits 0 only
    when every signature present holds (and, with --require-signed, every
    field is signed; with --case, the signed copy still matches the case or
    an amendment records each change).
    """
    import json

    from .signing import format_report, verify_pdf

    report = verify_pdf(pdf, trust=trust)
    comparison = _compare_with_case(pdf, case, workspace, today) if case else None
    unsigned = [f.name for f in report.fields if not f.signed]
    if as_json:
        data = report.as_data()
        if comparison is not None:
            data["case"] = {
                "case": comparison.case,
                "matches": comparison.matches,
                "changes": [c.as_data() for c in comparison.changes],
            }
        say(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        from pathlib import Path

        say(format_report(report, Path.cwd()))
        if comparison is not None:
            from .record import format_comparison

            for line in format_comparison(comparison):
                say(line)
    failed = not report.ok or (comparison is not None and bool(comparison.unrecorded))
    if require_signed and unsigned:
        say(f"not signed yet: {', '.join(unsigned)}", fg="red", err=True)
        failed = True
    if failed:
        sys.exit(1)


def _compare_with_case(pdf: Path, case: str, workspace: Path, today: date) -> Any:
    """The comparison of a signed PDF's agreement.json with one case, loaded from the workspace."""
    from .build import Workspace
    from .record import compare_signed

    ws = Workspace.open(workspace)
    casefile = ws.load(ws.resolve_case(case), today)
    return compare_signed(pdf, casefile, today)


@main.command()
@click.argument(
    "messages",
    nargs=-1,
    required=True,
    type=EXISTING_FILE,
    metavar="EML...",
)
@click.option(
    "--workspace",
    "-w",
    type=FOLDER,
    default=".",
    show_default="current folder",
    help="The workspace whose mend.toml has the [smtp] settings.",
)
@click.option(
    "--dry-run", is_flag=True, help="Show who each message would go to; connect to nothing."
)
def send(messages: tuple[Path, ...], workspace: Path, dry_run: bool) -> None:
    """Send recap and notice emails through the SMTP server set in mend.toml.

    The server is [smtp] host, port, security (starttls, ssl or none) and
    user; the password is read from the environment variable named by
    password_env. Each message goes to its To, Cc and Bcc addresses (the Bcc
    header itself is not transmitted). Prints the server's answer for each
    recipient; exits 1 if any recipient or the connection failed. A message
    goes out dated when it is sent, with a Message-ID that changes with its
    content; the file stays as it was built.
    """
    from .config import load_config
    from .errors import SendError
    from .send import read_message
    from .send import send as send_messages

    if dry_run:
        outgoing = [read_message(path) for path in messages]
        for item in outgoing:
            say(str(item.path))
            for field in ("From", "To", "Cc", "Bcc", "Subject"):
                if item.message[field] is not None:
                    say(f"  {field + ':':<9}{item.message[field]}")
            say(f"  {'Recipients:'} {', '.join(item.recipients)}")
        total = sum(len(item.recipients) for item in outgoing)
        say(f"dry run: nothing sent ({len(outgoing)} messages, {total} recipients)")
        return
    results = send_messages(messages, load_config(workspace).smtp)
    for result in results:
        if result.ok:
            say(f"sent    {result.path.name} -> {result.recipient}: {result.detail}")
        else:
            say(
                f"refused {result.path.name} -> {result.recipient}: {result.detail}",
                fg="red",
            )
    failed = sum(not r.ok for r in results)
    say(f"{len(results) - failed} delivered, {failed} failed")
    if failed:
        raise SendError(f"{failed} of {len(results)} recipients did not receive their message")


# -- mend log ---------------------------------------------------------------------------


class _LogOptions(TypedDict):
    """What every logbook function of ``mend log`` is told about the case."""

    display: str
    today: date
    default_timezone: str


class ClockType(click.ParamType):
    name = "HH:MM"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from datetime import time

        from .model import TIME_RE  # one definition of a time, the case format's

        if isinstance(value, time):
            return value
        match = TIME_RE.match(str(value))
        if match:
            return time(int(match[1]), int(match[2]))
        self.fail(f"{value!r} is not a time (HH:MM, 24-hour)", param, ctx)


class _LogCommand(click.Command):
    """Remembers the order of --action, --owner and --due on the command line.

    Click collects each option's values on their own, which loses which
    --owner followed which --action; its parser records the order of every
    occurrence, so we run it once more to read that order.
    """

    GROUPED = ("actions", "owners", "dues")

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            _, _, order = self.make_parser(ctx).parse_args(args=list(args))
        except click.UsageError:
            order = []  # the real parse below reports the same error
        ctx.meta["mend.log.order"] = [
            p.name for p in order if getattr(p, "name", None) in self.GROUPED
        ]
        return super().parse_args(ctx, args)


def _action_groups(
    ctx: click.Context, actions: Sequence[str], owners: Sequence[str], dues: Sequence[date]
) -> list[Any]:
    """Pair each --owner and --due with the --action before it."""
    from .logbook import ActionEntry

    values = {"actions": iter(actions), "owners": iter(owners), "dues": iter(dues)}
    groups: list[dict[str, Any]] = []
    for name in ctx.meta.get("mend.log.order", []):
        value = next(values[name])
        option = "--" + name[:-1]
        if name == "actions":
            groups.append({"text": value})
        elif not groups:
            raise click.UsageError(f"{option} must follow the --action it belongs to", ctx)
        elif name[:-1] in groups[-1]:
            raise click.UsageError(
                f"{option} given twice for the action {groups[-1]['text']!r}", ctx
            )
        else:
            groups[-1][name[:-1]] = value
    return [ActionEntry(g["text"], g.get("owner"), g.get("due")) for g in groups]


def _parse_updates(
    values: Sequence[str], what: str, statuses: Sequence[str], option: str
) -> list[tuple[str, str, str | None]]:
    """``ID=STATUS[:note]`` values, as --progress and --commitment take them."""
    entries = []
    for value in values:
        ref, sep, rest = value.partition("=")
        status, _, note = rest.partition(":")
        ref, status, note = ref.strip(), status.strip(), note.strip()
        if not sep or not ref or status not in statuses:
            raise click.BadParameter(
                f"{value!r}: expected {what}=STATUS or {what}=STATUS:NOTE, "
                f"with STATUS one of {', '.join(statuses)}",
                param_hint=option,
            )
        entries.append((ref, status, note or None))
    return entries


def _parse_progress(values: Sequence[str]) -> list[Any]:
    from .logbook import ProgressEntry

    return [
        ProgressEntry(*entry)
        for entry in _parse_updates(values, "MILESTONE", STATUSES, "--progress")
    ]


def _parse_commitments(values: Sequence[str]) -> list[Any]:
    from .logbook import CommitmentEntry

    return [
        CommitmentEntry(*entry)
        for entry in _parse_updates(values, "ID", COMMITMENT_UPDATE_STATUSES, "--commitment")
    ]


_ADDED_NOUNS = {
    "time": ("time", "time"),
    "kind": ("kind", "kind"),
    "attendees": ("attendee", "attendees"),
    "summary": ("summary", "summary"),
    "heard": ("thing heard", "things heard"),
    "decisions": ("decision", "decisions"),
    "actions": ("action", "actions"),
    "action updates": ("action update", "action updates"),
    "progress": ("progress update", "progress updates"),
    "commitments": ("commitment update", "commitment updates"),
    "positives": ("positive", "positives"),
    "concerns": ("concern", "concerns"),
}


def _describe_added(added: Any) -> str:
    parts = []
    for key, (one, many) in _ADDED_NOUNS.items():
        n = added.get(key, 0)
        if n == 1 and one == many:
            parts.append(one)
        elif n:
            parts.append(f"{n} {one if n == 1 else many}")
    return f" ({', '.join(parts)})" if parts else ""


def _report_log(result: Any, ws: Any) -> None:
    for action in result.already_done:
        say(f"action {action.number} was already done: {action.text}")
    if not result.written:
        say(f"{result.display}: nothing new to record, the file is unchanged")
        return
    if result.meeting is not None:
        verb = "added the meeting of" if result.created else "updated the meeting of"
        say(f"{result.display}: {verb} {result.meeting.isoformat()}{_describe_added(result.added)}")
    for action in result.closed:
        say(f"{result.display}: action {action.number} done: {action.text}")
    say(f"previous version kept as {ws.display(result.backup)}")
    _print_warnings(f"warning: {w}" for w in result.warnings)


@main.command(cls=_LogCommand)
@click.argument("case")
@click.option(
    "--date", "day", type=DATE, default=None, help="The meeting's date (default: --today)."
)
@click.option(
    "--time",
    "at",
    type=ClockType(),
    default=None,
    help="Its time, HH:MM (a new meeting on a check-in date gets the check-in's time).",
)
@click.option("--kind", type=click.Choice(MEETING_KINDS), default=None, help="The kind of meeting.")
@click.option(
    "--attendee", "attendees", multiple=True, metavar="NAME", help="Who came; repeatable."
)
@click.option("--summary", default=None, help="What happened, in Markdown.")
@click.option(
    "--summary-file",
    type=click.File("r", encoding="utf-8"),
    default=None,
    help="Read the summary from a file (- for standard input).",
)
@click.option(
    "--heard", multiple=True, metavar="TEXT", help="What the client said, restated; repeatable."
)
@click.option(
    "--decision", "decisions", multiple=True, metavar="TEXT", help="A decision; repeatable."
)
@click.option(
    "--action",
    "actions",
    multiple=True,
    metavar="TEXT",
    help="An action; repeatable. The --owner and --due after it are its own.",
)
@click.option(
    "--owner", "owners", multiple=True, metavar="NAME", help="Owner of the --action before it."
)
@click.option("--due", "dues", multiple=True, type=DATE, help="Due date of the --action before it.")
@click.option(
    "--progress",
    multiple=True,
    metavar="MILESTONE=STATUS[:NOTE]",
    help="A milestone's new status, e.g. tests-green=at-risk:flaky suite; repeatable.",
)
@click.option(
    "--commitment",
    "commitment_updates",
    multiple=True,
    metavar="ID=STATUS[:NOTE]",
    help=(
        "A commitment's new status (kept, on-track, at-risk, broken, renegotiated), "
        "e.g. weekly-status=kept; repeatable."
    ),
)
@click.option(
    "--positive",
    "positives",
    multiple=True,
    metavar="TEXT",
    help="Something to celebrate; repeatable.",
)
@click.option(
    "--concern",
    "concerns",
    multiple=True,
    metavar="TEXT",
    help="Something that struggled; repeatable.",
)
@click.option(
    "--action-done",
    "done",
    multiple=True,
    metavar="N|TEXT",
    help="Mark an action done: its number in --list-actions, or a unique part of its text; repeatable.",
)
@click.option("--list-actions", is_flag=True, help="List every action with its number, and stop.")
@click.option(
    "--list-commitments",
    is_flag=True,
    help="List the agreement's commitments with their ids and current status, and stop.",
)
@click.option(
    "--edit", is_flag=True, help="Edit the meeting in $EDITOR, prefilled with the other options."
)
@workspace_options
@no_gc()  # from the imports on: the case format's models, then the case (gcpause.py)
def log(
    case: str,
    day: date | None,
    at: Any,
    kind: str | None,
    attendees: tuple[str, ...],
    summary: str | None,
    summary_file: Any,
    heard: tuple[str, ...],
    decisions: tuple[str, ...],
    actions: tuple[str, ...],
    owners: tuple[str, ...],
    dues: tuple[date, ...],
    progress: tuple[str, ...],
    commitment_updates: tuple[str, ...],
    positives: tuple[str, ...],
    concerns: tuple[str, ...],
    done: tuple[str, ...],
    list_actions: bool,
    list_commitments: bool,
    edit: bool,
    workspace: Path,
    today: date,
) -> None:
    """Record a meeting in a case file, keeping its comments and layout.

    Adds the meeting of --date (default: today) to CASE, or adds to it when
    that date has one already: list items are appended unless already
    there, a summary becomes a new paragraph, an action with the same text
    is updated, and a milestone's progress replaces that milestone's entry
    of the same meeting. Nothing else in the file changes, byte for byte.
    Nothing is written unless the result is a valid case; the previous file
    is kept as <file>.bak.

    \b
    Each --action takes the --owner and --due that follow it:
      mend log acme --decision "Weekly written status" \\
        --action "Send the test plan" --owner "Sam Rivera" --due 2026-11-26 \\
        --action "Book the review" --due 2026-12-01 \\
        --progress tests-green=at-risk:"two suites still flaky" \\
        --commitment weekly-status=kept

    \b
    Actions are numbered from 1 across the case, oldest meeting first, done
    ones included (so numbers never shift):
      mend log acme --list-actions
      mend log acme --action-done 3
      mend log acme --action-done "test plan"

    \b
    --list-commitments shows each commitment's id and current status:
      mend log acme --list-commitments

    \b
    With --edit, the meeting opens in $EDITOR as YAML; what you save
    replaces it (use this to change or remove what was logged).
    """
    from .case import load_case
    from .history import number_actions
    from .logbook import MeetingEntry, apply_snippet, describe_action, meeting_snippet
    from .logbook import log as record
    from .workspace import Workspace

    ctx = click.get_current_context()
    ws = Workspace.open(workspace)
    path = ws.resolve_case(case)
    display = ws.display(path)
    options = _LogOptions(display=display, today=today, default_timezone=ws.config.timezone)
    if summary is not None and summary_file is not None:
        raise click.UsageError("give --summary or --summary-file, not both", ctx)
    if summary_file is not None:
        summary = summary_file.read()
    entry = MeetingEntry(
        date=day or today,
        time=at,
        kind=kind,
        attendees=list(attendees),
        summary=summary,
        heard=list(heard),
        decisions=list(decisions),
        actions=_action_groups(ctx, actions, owners, dues),
        progress=_parse_progress(progress),
        commitments=_parse_commitments(commitment_updates),
        positives=list(positives),
        concerns=list(concerns),
    )

    if list_commitments:
        if not entry.is_empty() or done or edit or list_actions:
            raise click.UsageError("--list-commitments only lists; give it alone", ctx)
        from .commitments import standings
        from .logbook import describe_commitment

        casefile = load_case(
            path, display=display, today=today, default_timezone=ws.config.timezone
        )
        listed = standings(casefile.case, today)
        if not listed:
            say(f"{display}: no agreement commitments yet")
        for standing in listed:
            say(describe_commitment(standing))
        return

    if list_actions:
        if not entry.is_empty() or done or edit:
            raise click.UsageError("--list-actions only lists; give it alone", ctx)
        casefile = load_case(
            path, display=display, today=today, default_timezone=ws.config.timezone
        )
        numbered = number_actions(casefile.case)
        if not numbered:
            say(f"{display}: no actions yet")
        for action in numbered:
            say(describe_action(action, today))
        return

    if edit:
        if done:
            raise click.UsageError(
                "--edit cannot be combined with --action-done: set `done: true` in the editor", ctx
            )
        from .errors import MendError

        text = meeting_snippet(path, entry.date, entry=entry, **options)
        while True:
            edited = click.edit(text, extension=".yaml", require_save=True)
            if edited is None:
                say("nothing logged: the editor was closed without saving")
                return
            try:
                result = apply_snippet(path, entry.date, edited, **options)
                break
            except MendError as exc:
                exc.show()
                # Without a terminal there is no one to answer: the case
                # file is untouched, say so and fail rather than "Aborted!".
                if not sys.stdin.isatty() or not click.confirm(
                    "Edit the meeting again?", default=True
                ):
                    say(f"nothing logged: {display} is unchanged", err=True)
                    sys.exit(1)
                text = edited
        _report_log(result, ws)
        return

    if entry.is_empty() and not done:
        raise click.UsageError(
            "nothing to log: give what happened (--summary, --decision, --action, --progress, "
            "--commitment, ...), "
            "--action-done, or --edit",
            ctx,
        )
    result = record(path, entry=entry, done=done, **options)
    _report_log(result, ws)


def run() -> None:
    """The ``mend`` command: :func:`main`, then an exit that collects no garbage.

    Apart from :func:`main`, which tests call in their own process: see
    :func:`generator.gcpause.spare_exit`.
    """
    one_command()
    try:
        main()
    finally:
        spare_exit()


if __name__ == "__main__":  # pragma: no cover
    run()
