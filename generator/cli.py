"""The ``mend`` command line: parse options, call functions, print results.

Nothing here does the work itself, so that tests can call the same functions
directly. Heavy modules (pydantic models, WeasyPrint, pyHanko) are imported
inside the commands that need them, which keeps ``mend --help`` instant.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import click

ALL_FORMATS = ("md", "html", "pdf", "eml", "ics")


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
        unknown = [v for v in items if v not in ALL_FORMATS]
        if unknown or not items:
            self.fail(
                f"unknown format {', '.join(unknown) or '(none)'}; choose from {', '.join(ALL_FORMATS)}",
                param,
                ctx,
            )
        return items


DATE = DateType()


def workspace_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--workspace`` and ``--today``: every command that reads cases takes them."""

    @click.option(
        "--workspace",
        "-w",
        type=click.Path(file_okay=False, path_type=Path),
        default=".",
        show_default="current folder",
        help="The workspace folder (holds content/, templates/, mend.toml).",
    )
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
        default=",".join(ALL_FORMATS),
        show_default=True,
        help="Comma list of formats to write: md, html, pdf, eml, ics.",
    )(func)
    func = click.option(
        "--out",
        "-o",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Output folder (default: <workspace>/output).",
    )(func)
    return func


def _print_warnings(warnings: Sequence[object]) -> None:
    for warning in warnings:
        click.secho(str(warning), fg="yellow", err=True)


def _finish(report: Any, out: Path | None, workspace: Path, quiet: bool = False) -> None:
    """Print what a build did and exit 1 if anything failed."""
    _print_warnings(report.warnings)
    for failure in report.failed:
        click.secho(f"error: {failure}", fg="red", err=True)
    if not quiet or report.failed:
        target = out or workspace / "output"
        removed = f", {len(report.removed)} removed" if report.removed else ""
        click.echo(
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

    try:
        return run_build(on_start=on_start, progress=progress, **kwargs)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="mend", prog_name="mend")
def main() -> None:
    """mend: documents for winning back a client's trust.

    Keep one YAML case file per client situation in content/; mend writes the
    internal prep brief, the client agenda, the living recovery plan, recap
    emails, the check-in calendar and a signable agreement into output/.
    """


@main.command()
@click.argument("cases", nargs=-1, metavar="[CASE]...")
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings and coaching notes too.")
@workspace_options
def check(cases: tuple[str, ...], strict: bool, workspace: Path, today: date) -> None:
    """Validate case files (all of content/ by default); write nothing.

    Prints every error with its file, line and field, warnings that do not
    stop a build, and coaching notes: what a seasoned account lead would
    point out before the next meeting (lines starting "coach:"). Exits 1 if
    any case is invalid, or with --strict if there is any warning or note.
    """
    from .build import Workspace, load_cases
    from .coach import coach

    ws = Workspace.open(workspace)
    paths = [ws.resolve_case(c) for c in cases] if cases else ws.case_paths()
    if not paths:
        raise click.ClickException(f"no case files in {ws.display(ws.content)}/")
    result = load_cases(ws, paths, today)
    _print_warnings(f"warning: {w}" for w in result.warnings)
    notes = [note for cf in result.cases for note in coach(cf, today)]
    for note in notes:
        click.secho(f"coach: {note}", fg="cyan", err=True)
    for error in result.errors:
        for problem in error.problems:
            click.secho(f"error: {problem}", fg="red", err=True)
    valid, invalid = len(result.cases), len(result.errors)
    click.echo(
        f"{valid} valid, {invalid} invalid, {len(result.warnings)} warnings, "
        f"{len(notes)} coaching note{'s' if len(notes) != 1 else ''}"
    )
    if invalid or (strict and (result.warnings or notes)):
        sys.exit(1)


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
        report.failed.append(
            f"{case}: no {kind} to build as of {today.isoformat()} ({_why_none(kind)})"
        )
    _finish(report, out, workspace, quiet)


def _single_document(kind: str, summary: str) -> click.Command:
    @click.argument("case")
    @workspace_options
    @output_options
    def command(case: str, **options: Any) -> None:
        _build_one_kind(kind, case, **options)

    command.__doc__ = summary
    return click.command(kind)(command)


def _why_none(kind: str) -> str:
    return {
        "brief": "no next meeting: add plan.checkins or a meeting on or after today",
        "agenda": "no next meeting: add plan.checkins or a meeting on or after today",
        "recap": "no held meeting matches",
        "agreement": "the case has no agreement section",
        "calendar": "the case has no plan.checkins",
    }.get(kind, "nothing in the requested formats")


for _kind, _summary in (
    (
        "brief",
        "Build the internal prep brief for a case's next meeting (internal/, never for the client).",
    ),
    ("agenda", "Build the client agenda for a case's next meeting: the five-part recovery agenda."),
    ("plan", "Build a case's living recovery plan: milestones, check-ins and the meeting log."),
    (
        "agreement",
        "Build a case's agreement, with an empty signature field per signatory in the PDF.",
    ),
):
    main.add_command(_single_document(_kind, _summary))


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
    type=click.Path(dir_okay=False, path_type=Path),
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
def keygen(name: str, out: Path, email: str | None, passphrase_env: str | None) -> None:
    """Make a self-signed certificate and key for NAME, to try signing out.

    Real signatures should use your organisation's certificate; a
    self-signed one proves the document is unchanged, and that it was signed
    with this key, but not who holds the key. Hand KEY.crt to the other
    party: `mend verify --trust KEY.crt` then reports the signature as trusted.
    """
    from .signing import certificate_path
    from .signing import keygen as make_key

    make_key(name, out, passphrase=_passphrase(passphrase_env), email=email)
    click.echo(
        f"wrote {out} (private key and certificate) and {certificate_path(out)} (certificate to share)"
    )


def _passphrase(var: str | None) -> bytes | None:
    if var is None:
        return None
    from .errors import MendError

    value = os.environ.get(var)
    if value is None:
        raise MendError(f"environment variable {var} is not set (it should hold the passphrase)")
    return value.encode("utf-8")


@main.command()
@click.argument("pdf", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--key",
    "-k",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
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
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the signed PDF (default: PDF with -signed before the suffix).",
)
@click.option("--in-place", is_flag=True, help="Replace PDF with the signed file.")
def sign(
    pdf: Path,
    key: Path,
    passphrase_env: str | None,
    field: str | None,
    out: Path | None,
    in_place: bool,
) -> None:
    """Sign one signatory's field of an agreement PDF.

    The signature is added as an incremental update, so a signature made
    earlier stays valid and the other party can sign after you.
    """
    from .errors import MendError
    from .signing import sign_pdf

    if in_place and out is not None:
        raise MendError("give either --out or --in-place, not both")
    target = pdf if in_place else out or pdf.with_name(f"{pdf.stem}-signed{pdf.suffix}")
    signed = sign_pdf(pdf, key, passphrase=_passphrase(passphrase_env), field=field, out=target)
    click.echo(f"signed {signed} -> {target}")


@main.command()
@click.argument("pdf", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--trust",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    multiple=True,
    help="A certificate (PEM or DER) to trust; repeatable.",
)
@click.option("--require-signed", is_flag=True, help="Fail unless every signature field is signed.")
def verify(pdf: Path, trust: tuple[Path, ...], require_signed: bool) -> None:
    """Check every signature in a PDF.

    Lists every signature field, signed or not; for each signature, the
    signer, the time, whether the signed bytes are intact and whether it
    covers the whole document. Exits 0 only when every signature present
    holds (and, with --require-signed, every field is signed).
    """
    from .signing import format_report, verify_pdf

    report = verify_pdf(pdf, trust=trust)
    click.echo(format_report(report, Path.cwd()))
    unsigned = [f.name for f in report.fields if not f.signed]
    if require_signed and unsigned:
        click.secho(f"not signed yet: {', '.join(unsigned)}", fg="red", err=True)
        sys.exit(1)
    if not report.ok:
        sys.exit(1)


@main.command()
@click.argument(
    "messages",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="EML...",
)
@click.option(
    "--workspace",
    "-w",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default="current folder",
    help="The workspace whose mend.toml has the [smtp] settings.",
)
@click.option(
    "--dry-run", is_flag=True, help="Show who each message would go to; connect to nothing."
)
def send(messages: tuple[Path, ...], workspace: Path, dry_run: bool) -> None:
    """Send recap emails through the SMTP server set in mend.toml.

    The server is [smtp] host, port, security (starttls, ssl or none) and
    user; the password is read from the environment variable named by
    password_env. Prints each recipient's result; exits 1 if any failed.
    """
    from .config import load_config
    from .send import envelope, read_message
    from .send import send as send_messages

    if dry_run:
        for path in messages:
            message = read_message(path)
            sender, recipients = envelope(message)
            click.echo(f"{path}: {message['Subject']}")
            click.echo(f"  from {sender}")
            for recipient in recipients:
                click.echo(f"  to   {recipient}")
        click.echo("dry run: nothing sent")
        return
    settings = load_config(workspace).smtp
    results = send_messages(messages, settings)
    failed = 0
    for result in results:
        mark = "sent  " if result.ok else "FAILED"
        click.echo(f"{mark} {result.path.name} -> {result.recipient}: {result.detail}")
        failed += not result.ok
    click.echo(f"{len(results) - failed} delivered, {failed} failed")
    if failed:
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
