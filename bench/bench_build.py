"""Benchmark mend's build at scale, against a bare baseline in the same run.

    .venv/bin/python bench/bench_build.py [--cases 1000] [--runs 5] [--pdf-cases 12]
                                          [--memory-cases 10000] [--no-pdf]

Generates N realistic cases (meetings, milestones, an agreement) into a
temporary workspace and prints medians of several runs:

- a full build of all text formats (md, html, eml, ics), 1 job and default jobs;
- the bare baseline: the same YAML loaded with PyYAML's C loader and the same
  templates rendered with plain Jinja into files, with no validation, no
  audience rule, no manifest; mend's time is printed as a ratio to it;
- a full build with PDFs for a subset of cases, with 1 and 2 jobs, against
  WeasyPrint alone (one command) printing the very pages mend gave it;
- a no-op rebuild, and a rebuild after touching one case;
- ``mend --help`` start time, beside ``python -c "import click"`` (its floor);
- peak memory (max RSS) of a full text build;
- issue 21's targets, each marked met or NOT MET from the figures above.

Figures vary with the machine: compare ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cases import TODAY, make_workspace  # noqa: E402

TEXT = "md,html,eml,ics"


# -- the bare baseline ------------------------------------------------------------

BASELINE = r"""
import sys, yaml, jinja2, markdown
from datetime import date, time
from pathlib import Path
from types import SimpleNamespace
root, theme, recaps = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == "recaps"
out = root / "baseline-out"
md = markdown.Markdown(extensions=["sane_lists", "tables"])
opts = dict(loader=jinja2.FileSystemLoader(str(theme)), undefined=jinja2.ChainableUndefined, lstrip_blocks=True, extensions=["jinja2.ext.i18n"])
env_html = jinja2.Environment(autoescape=True, trim_blocks=True, **opts)
env_text = jinja2.Environment(**opts)
words = lambda t: str(t or "")
for env in (env_html, env_text):
    env.install_null_translations(newstyle=True)
    env.filters.update(longdate=str, shortdate=str, clock=str, indent_md=lambda t: t, conjoin=lambda xs: ", ".join(map(str, xs)),
                       upfirst=words, weekdays=words, cadence=words, kind=words, kind_title=words, case_status=words)
env_html.filters["markdown"] = lambda t: md.reset().convert(t or "")
env_text.filters["markdown"] = lambda t: t or ""
today = date(2026, 11, 22)
for path in sorted((root / "content").glob("*.yaml")):
    raw = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)
    raw.setdefault("framing", None); raw.setdefault("agreement", None)
    raw["ownership"] = raw.get("ownership") or {"mistakes": [], "apology": None}
    raw["listening"] = {"facts": [], "feelings": [], "unsaid": [], "questions": [], "restatements": [], **raw.get("listening", {})}
    for m in raw.get("meetings", []):
        for k in ("heard", "decisions", "actions", "progress", "positives", "concerns", "attendees"):
            m.setdefault(k, [])
        m.setdefault("kind", "check-in"); m.setdefault("summary", None); m.setdefault("internal_notes", None)
    ms = [{**m, "current": m.get("status", "planned"), "current_label": "Planned", "overdue": False, "objective": None, "owner": m.get("owner")} for m in raw["plan"]["milestones"]]
    held = raw.get("meetings", [])
    roll = SimpleNamespace(done=0, total=len(ms), counts={"done": 0, "on-track": 0, "planned": len(ms), "at-risk": 0, "missed": 0}, overdue=0)
    nxt = {"date": today, "time": None, "kind": "check-in", "duration": 30, "channel": None, "link": None, "meeting": None, "is_checkin": True}
    raw["plan"].setdefault("objectives", []); raw["plan"].setdefault("checkins", None)
    if raw["plan"]["checkins"]:
        raw["plan"]["checkins"] = {"duration": 30, "link": None, "until": None, "time": None, "channel": None, **raw["plan"]["checkins"]}
    raw["affirmations"] = raw.get("affirmations", [])
    raw["client"].setdefault("culture", None)
    raw["incident"].setdefault("impact", None)
    promises = (raw["agreement"] or {}).get("commitments", [])
    commitments = {"all": promises, "by_party": {p: [c for c in promises if c["party"] == p] for p in ("us", "client", "both")},
                   "due": promises, "attention": [], "amendments": [], "at_meeting": {}, "counts": {}}
    contacts, members = raw["client"]["contacts"], raw["team"]["members"]
    history = {"changes": None, "moves": {}, "open_by_owner": [], "open_actions": 0, "overdue_actions": 0,
               "status": {"total": len(ms), "done": 0, "on_track": 0, "at_risk": 0, "missed": 0, "planned": len(ms), "overdue": 0}}
    ctx = {"case": raw, "commitments": commitments, "history": history, "rescheduled": [], "timeline": "", "primary": contacts[0], "lead": members[0], "lang": "en", "dir": "ltr", "milestones": ms, "objectives": {}, "rollup": roll, "status_labels": {}, "next": nxt,
           "upcoming": [], "held": held, "held_newest_first": held[::-1], "last_held": held[-1] if held else None,
           "us": "Studio", "them": raw["client"]["organisation"], "today": today, "audience": "client", "format": "html",
           "signatures": [], "id": path.stem, "meetings": held}
    target = out / path.stem
    (target / "internal").mkdir(parents=True, exist_ok=True)
    for kind in ("plan", "agenda"):
        (target / f"{kind}.md").write_text(env_text.get_template(f"md/{kind}.md").render(ctx))
        (target / f"{kind}.html").write_text(env_html.get_template(f"html/{kind}.html").render(ctx))
    (target / "agreement.html").write_text(env_html.get_template("html/agreement.html").render(ctx))
    ctx["audience"] = "internal"
    (target / "internal" / "brief.md").write_text(env_text.get_template("md/brief.md").render(ctx))
    (target / "internal" / "brief.html").write_text(env_html.get_template("html/brief.html").render(ctx))
    if not recaps:
        continue
    ctx["audience"] = "client"
    for m in held:  # the recap templates, as mend renders them: text and HTML parts
        rctx = {**ctx, "meeting": m, "greeting": "Dana", "standing": ms, "following": None, "positive": None}
        body = env_text.get_template("eml/recap.txt").render(rctx) + env_html.get_template("eml/recap.html").render(rctx)
        (target / f"recap-{m['date']}.eml").write_text(body)
"""


# WeasyPrint alone, as a command, on the very pages mend gives it (captured
# below): the same HTML, base URL and PDF options (PDF/A and tags for the
# archival agreement), without mend's templates, checks or signature fields.
WEASYPRINT_ALONE = r"""
import io, pickle, sys
from weasyprint import HTML, Attachment
for page in pickle.load(open(sys.argv[1], "rb")):
    opts = {"pdf_variant": page["variant"], "pdf_identifier": True}
    if page["tagged"]:
        opts["pdf_tags"] = True
    if page["attachments"]:
        opts["attachments"] = [Attachment(file_obj=io.BytesIO(a["data"]), name=a["name"], description=a["description"],
                                          created=a["when"], modified=a["when"], relationship=a["relationship"])
                               for a in page["attachments"]]
    HTML(string=page["html"], base_url=page["base_url"]).write_pdf(**opts)
"""


def capture_pdf_pages(ws: Path, into: Path) -> int:
    """Build every PDF of ``ws`` once, in this process, keeping what WeasyPrint was given."""
    import pickle

    import generator.writers.pdf as pdf_writer
    from generator.build import build
    from generator.writers.words import break_long_words

    pages = []
    real = pdf_writer.render_pdf

    def capture(html: str, **options):
        pages.append(
            {
                "html": break_long_words(html),  # as render_pdf hands it on
                "base_url": options.get("base_url"),
                "variant": pdf_writer.normalize_variant(options.get("pdf_variant")),
                "tagged": options.get("tagged", False),
                "attachments": [vars(a) for a in options.get("attachments", ())],
            }
        )
        return real(html, **options)

    pdf_writer.render_pdf = capture
    try:
        report = build(ws, today=TODAY, formats=("pdf",), out=into, force=True, jobs=1)
    finally:
        pdf_writer.render_pdf = real
    assert report.ok, report.messages
    with open(into / "pages.pickle", "wb") as f:
        pickle.dump(pages, f)
    return len(pages)


class Targets:
    """Issue 21's targets, checked against the figures of this one run."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, bool]] = []

    def at_most(self, what: str, value: float, limit: float, unit: str = "x") -> None:
        shown = f"{value:.2f}{unit}" if unit == "x" else f"{value:.3f} {unit}"
        bound = f"{limit:.2f}{unit}" if unit == "x" else f"{limit:g} {unit}"
        self.rows.append((what, f"{shown} (target <= {bound})", value <= limit))

    def at_least(self, what: str, value: float, limit: float) -> None:
        self.rows.append((what, f"{value:.2f}x (target >= {limit:.2f}x)", value >= limit))

    def print(self) -> None:
        print("targets:")
        for what, figure, met in self.rows:
            print(f"  {'met    ' if met else 'NOT MET'}  {what}: {figure}")


def timed(cmd: list[str], env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - started


def median_of(runs: int, func) -> float:
    return statistics.median(func() for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pdf-cases", type=int, default=12)
    parser.add_argument("--formats", default=TEXT, help="text formats of the full build")
    parser.add_argument("--no-pdf", action="store_true", help="skip the PDF figures")
    parser.add_argument(
        "--memory-cases", type=int, default=0, help="also measure peak memory at this many cases"
    )
    args = parser.parse_args()

    mend = [sys.executable, "-m", "generator.cli"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # Commands run with Python's bytecode cache, as an installed mend does
    # (pip compiles a wheel's modules); an editable install under
    # PYTHONDONTWRITEBYTECODE would recompile mend's modules every run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    from generator.render import theme_dir

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        ws = make_workspace(Path(tmp) / "ws", args.cases)
        common = ["--workspace", str(ws), "--today", TODAY.isoformat(), "--quiet"]
        print(f"{args.cases} cases, medians of {args.runs} runs")

        cores = os.cpu_count() or 1
        targets = Targets()

        def full(formats: str, jobs: int) -> float:
            shutil.rmtree(ws / "output", ignore_errors=True)
            return timed([*mend, "build", *common, "--format", formats, "--jobs", str(jobs)], env)

        def baseline(what: str) -> float:
            shutil.rmtree(ws / "baseline-out", ignore_errors=True)
            return timed([sys.executable, "-c", BASELINE, str(ws), str(theme_dir()), what], env)

        # Two comparisons, each against a baseline that renders the same
        # templates: the documents alone (md, html), and every text format
        # (the baseline also renders each recap's text and HTML templates;
        # mend also builds the MIME message, its invitation and the calendar).
        for label, formats, what, limit in (
            ("documents (md, html)", "md,html", "docs", 1.3),
            (f"all text formats ({args.formats})", args.formats, "recaps", 1.8),
        ):
            base = median_of(args.runs, lambda what=what: baseline(what))
            one = median_of(args.runs, lambda formats=formats: full(formats, 1))
            many = median_of(args.runs, lambda formats=formats: full(formats, cores))
            print(f"{label}:")
            print(f"  bare baseline (yaml + jinja, no checks): {base:7.3f} s")
            print(
                f"  mend build, 1 job:                       {one:7.3f} s   ({one / base:.2f}x baseline)"
            )
            print(
                f"  mend build, {cores} jobs:                      {many:7.3f} s   ({many / base:.2f}x baseline)"
            )
            targets.at_most(f"{label}, 1 job, against its baseline", one / base, limit)

        noop = median_of(
            args.runs, lambda: timed([*mend, "build", *common, "--format", args.formats], env)
        )
        print(f"no-op rebuild:                            {noop:7.3f} s")
        targets.at_most(f"no-op rebuild of {args.cases} cases", noop, 1.0, "s")

        def touch_one() -> float:
            path = ws / "content" / "case-00000.yaml"
            path.write_text(path.read_text() + f"# touched {time.perf_counter()}\n")
            return timed([*mend, "build", *common, "--format", args.formats], env)

        touched = median_of(args.runs, touch_one)
        print(f"rebuild after touching one case:          {touched:7.3f} s")

        # click's own import is the floor of any click command: its runs take
        # turns with mend's, so that load on the machine disturbs both alike.
        help_runs: list[float] = []
        click_runs: list[float] = []
        for _ in range(max(args.runs, 9)):
            help_runs.append(timed([*mend, "--help"], env))
            click_runs.append(timed([sys.executable, "-c", "import click"], env))
        helps = statistics.median(help_runs)
        floor = statistics.median(click_runs)
        print(
            f"mend --help:                              {helps:7.3f} s"
            f"   (python -c 'import click' alone: {floor:.3f} s)"
        )
        targets.at_most("mend --help", helps, 0.1, "s")

        usage = subprocess.run(
            [sys.executable, "-c",
             "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL);"
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)",
             *mend, "build", *common, "--format", args.formats, "--jobs", "1", "--force"],
            check=True, capture_output=True, text=True, env=env,
        )  # fmt: skip
        print(f"peak memory, full text build, 1 job:      {int(usage.stdout) / 1024:7.1f} MB")
        if args.memory_cases:
            big = make_workspace(Path(tmp) / "big", args.memory_cases, seed=13)
            usage = subprocess.run(
                [sys.executable, "-c",
                 "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL);"
                 "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)",
                 *mend, "build", "--workspace", str(big), "--today", TODAY.isoformat(), "--quiet",
                 "--format", args.formats],
                check=True, capture_output=True, text=True, env=env,
            )  # fmt: skip
            print(
                f"peak memory, {args.memory_cases} cases, full text build, 1 job: "
                f"{int(usage.stdout) / 1024:.1f} MB"
            )
            shutil.rmtree(big)

        if args.no_pdf:
            targets.print()
            return
        pdf_ws = make_workspace(Path(tmp) / "pdf", args.pdf_cases, seed=11)
        pdf_common = [
            "--workspace",
            str(pdf_ws),
            "--today",
            TODAY.isoformat(),
            "--quiet",
            "--format",
            "pdf",
        ]

        def pdf(jobs: int) -> float:
            shutil.rmtree(pdf_ws / "output", ignore_errors=True)
            return timed([*mend, "build", *pdf_common, "--jobs", str(jobs)], env)

        pdf_runs = max(3, args.runs // 2)
        captured = Path(tmp) / "captured"
        count = capture_pdf_pages(pdf_ws, captured)
        pickled = str(captured / "pages.pickle")
        alone = median_of(
            pdf_runs, lambda: timed([sys.executable, "-c", WEASYPRINT_ALONE, pickled], env)
        )
        p1 = median_of(pdf_runs, lambda: pdf(1))
        p2 = median_of(pdf_runs, lambda: pdf(2))
        print(
            f"PDFs, WeasyPrint alone on mend's {count} pages: {alone:7.3f} s   (one command, same HTML and PDF options)"
        )
        print(
            f"PDF build, {count} PDFs, 1 job:              {p1:7.3f} s   ({count / p1:.1f} PDFs/s, {p1 / alone:.2f}x WeasyPrint alone)"
        )
        print(
            f"PDF build, {count} PDFs, 2 jobs:             {p2:7.3f} s   ({count / p2:.1f} PDFs/s, {p1 / p2:.2f}x 1 job)"
        )
        targets.at_most(
            f"PDF build of {count} PDFs, 1 job, against WeasyPrint alone", p1 / alone, 1.1
        )
        targets.at_least("PDF build, 2 jobs, speed-up over 1 job", p1 / p2, 1.7)
        targets.print()


if __name__ == "__main__":
    main()
