"""Benchmark mend's build at scale, against a bare baseline in the same run.

    .venv/bin/python bench/bench_build.py [--cases 1000] [--runs 5] [--pdf-cases 12]
                                          [--memory-cases 10000] [--no-pdf]

Generates N realistic cases (meetings, milestones, an agreement) into a
temporary workspace and prints medians of several runs:

- a full build of all text formats (md, html, eml, ics), 1 job and default jobs;
- the bare baseline: the same YAML loaded with PyYAML's C loader and the same
  templates rendered with plain Jinja into files, with no validation, no
  audience rule, no manifest; mend's time is printed as a ratio to it;
- a full build with PDFs for a subset of cases, with 1 and 2 jobs;
- a no-op rebuild, and a rebuild after touching one case;
- ``mend --help`` start time;
- peak memory (max RSS) of a full text build.

Figures vary with the machine: compare ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TODAY = date(2026, 11, 22)
TEXT = "md,html,eml,ics"

FIRST = [
    "Dana",
    "Sam",
    "Ana",
    "Lee",
    "Mo",
    "Ciara",
    "José",
    "Siobhán",
    "Priya",
    "Tomás",
    "Yuki",
    "Oluwaseun",
]
LAST = [
    "Okafor",
    "Rivera",
    "Patel",
    "Chen",
    "Byrne",
    "Walsh",
    "Álvarez",
    "O'Neill",
    "Nakamura",
    "Adeyemi",
]
WORDS = [
    "release",
    "staging",
    "tests",
    "invoice",
    "scope",
    "budget",
    "deadline",
    "review",
    "design",
    "brand",
    "portal",
    "handover",
    "training",
    "data",
    "migration",
    "reporting",
    "dashboard",
    "contract",
    "feedback",
    "launch",
]


def sentence(rng: random.Random, n: int = 9) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return (" ".join(words)).capitalize()


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def make_case(i: int, rng: random.Random) -> str:
    """One realistic case file as YAML text."""
    client = [person(rng) for _ in range(2)]
    team = [person(rng) for _ in range(2)]
    while set(client) & set(team) or len(set(client)) < 2 or len(set(team)) < 2:
        client = [person(rng) for _ in range(2)]
        team = [person(rng) for _ in range(2)]
    start = TODAY - timedelta(days=rng.randint(20, 200))
    milestones = []
    for m in range(rng.randint(3, 8)):
        due = start + timedelta(days=rng.randint(10, 260))
        milestones.append((f"m{m}", sentence(rng, 5), due))
    lines = [
        f"title: {q('Recovery of ' + sentence(rng, 4).lower() + f' {i}')}",
        "timezone: Europe/London",
        "client:",
        f"  organisation: {q(f'Client {i} Ltd')}",
        f"  culture: {q(sentence(rng, 20))}",
        "  contacts:",
    ]
    for n, name in enumerate(client):
        lines += [
            f"    - name: {q(name)}",
            f"      email: c{n}.{i}@client.example",
            f"      primary: {str(n == 0).lower()}",
        ]
    lines += ["team:", "  organisation: Studio", "  members:"]
    for n, name in enumerate(team):
        lines += [
            f"    - name: {q(name)}",
            f"      email: t{n}.{i}@studio.example",
            f"      lead: {str(n == 0).lower()}",
        ]
    lines += [
        "incident:",
        f"  summary: {q(sentence(rng, 30))}",
        f"  occurred: {start.isoformat()}",
        "listening:",
        "  facts:",
        f"    - text: {q(sentence(rng))}",
        "      source: client",
        "      disputed: true",
        f"      note: {q(sentence(rng))}",
        f"  unsaid: [{q(sentence(rng))}]",
        f"  questions: [{q('Help me understand ' + sentence(rng).lower())}]",
        "ownership:",
        f"  mistakes: [{q(sentence(rng))}]",
        f"  apology: {q(sentence(rng, 15))}",
        "framing:",
        f"  shared: {q(sentence(rng, 15))}",
        f"affirmations: [{q(sentence(rng))}]",
        "plan:",
        "  milestones:",
    ]
    for mid, title, due in milestones:
        lines += [
            f"    - id: {mid}",
            f"      title: {q(title)}",
            f"      due: {due.isoformat()}",
            f"      owner: {q(team[0])}",
        ]
    lines += [
        "  checkins:",
        "    cadence: weekly",
        f"    starts: {start.isoformat()}",
        '    time: "10:00"',
        "    channel: video call",
        f"    until: {(TODAY + timedelta(days=120)).isoformat()}",
        "meetings:",
    ]
    day = start
    for _ in range(rng.randint(3, 15)):
        day += timedelta(days=7)
        if day >= TODAY:
            break
        lines += [
            f"  - date: {day.isoformat()}",
            f"    attendees: [{q(client[0])}, {q(team[0])}]",
            f"    summary: {q(sentence(rng, 25))}",
            f"    heard: [{q(sentence(rng))}]",
            f"    decisions: [{q(sentence(rng))}]",
            "    actions:",
            f"      - text: {q(sentence(rng))}",
            f"        owner: {q(team[1])}",
            f"        due: {(day + timedelta(days=5)).isoformat()}",
            "    progress:",
            f"      - milestone: {rng.choice(milestones)[0]}",
            f"        status: {rng.choice(['on-track', 'at-risk', 'done'])}",
            f"    positives: [{q(sentence(rng))}]",
            f"    internal_notes: {q(sentence(rng))}",
        ]
    lines += [
        "agreement:",
        f"  effective: {start.isoformat()}",
        "  commitments:",
        f"    - party: us\n      text: {q(sentence(rng))}",
        "  signatories:",
        f"    - name: {q(client[0])}\n      party: client",
        f"    - name: {q(team[0])}\n      party: us",
    ]
    return "\n".join(lines) + "\n"


def make_workspace(root: Path, n: int, seed: int = 7) -> Path:
    rng = random.Random(seed)
    (root / "content").mkdir(parents=True)
    for i in range(n):
        (root / "content" / f"case-{i:05d}.yaml").write_text(make_case(i, rng), encoding="utf-8")
    return root


# -- the bare baseline ------------------------------------------------------------

BASELINE = r"""
import sys, yaml, jinja2, markdown
from datetime import date, time
from pathlib import Path
from types import SimpleNamespace
root, theme, recaps = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == "recaps"
out = root / "baseline-out"
md = markdown.Markdown(extensions=["sane_lists", "tables"])
env_html = jinja2.Environment(loader=jinja2.FileSystemLoader(str(theme)), autoescape=True, undefined=jinja2.ChainableUndefined)
env_text = jinja2.Environment(loader=jinja2.FileSystemLoader(str(theme)), undefined=jinja2.ChainableUndefined)
for env in (env_html, env_text):
    env.filters.update(longdate=str, shortdate=str, clock=str, indent_md=lambda t: t)
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
    raw["affirmations"] = raw.get("affirmations", [])
    raw["client"].setdefault("culture", None)
    raw["incident"].setdefault("impact", None)
    ctx = {"case": raw, "milestones": ms, "objectives": {}, "rollup": roll, "status_labels": {}, "next": nxt,
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
    from generator.render import theme_dir

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        ws = make_workspace(Path(tmp) / "ws", args.cases)
        common = ["--workspace", str(ws), "--today", TODAY.isoformat(), "--quiet"]
        print(f"{args.cases} cases, medians of {args.runs} runs")

        cores = os.cpu_count() or 1

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
        for label, formats, what in (
            ("documents (md, html)", "md,html", "docs"),
            (f"all text formats ({args.formats})", args.formats, "recaps"),
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

        noop = median_of(
            args.runs, lambda: timed([*mend, "build", *common, "--format", args.formats], env)
        )
        print(f"no-op rebuild:                            {noop:7.3f} s")

        def touch_one() -> float:
            path = ws / "content" / "case-00000.yaml"
            path.write_text(path.read_text() + f"# touched {time.perf_counter()}\n")
            return timed([*mend, "build", *common, "--format", args.formats], env)

        touched = median_of(args.runs, touch_one)
        print(f"rebuild after touching one case:          {touched:7.3f} s")

        helps = median_of(max(args.runs, 5), lambda: timed([*mend, "--help"], env))
        print(f"mend --help:                              {helps:7.3f} s")

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
        p1 = median_of(pdf_runs, lambda: pdf(1))
        p2 = median_of(pdf_runs, lambda: pdf(2))
        count = len(list((pdf_ws / "output").rglob("*.pdf")))
        print(
            f"PDF build, {count} PDFs, 1 job:              {p1:7.3f} s   ({count / p1:.1f} PDFs/s)"
        )
        print(
            f"PDF build, {count} PDFs, 2 jobs:             {p2:7.3f} s   ({count / p2:.1f} PDFs/s, {p1 / p2:.2f}x 1 job)"
        )


if __name__ == "__main__":
    main()
