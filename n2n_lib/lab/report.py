"""The HTML lab report, rendered from what the executed notebooks wrote (``make report``; see notebook ``05_results``).

``python -m n2n_lib.lab.report [--profile quick] [--runs DIR] [--out FILE]`` reads ``results/`` (JSON and CSV),
``figures/`` (PNG) and the executed notebooks in ``runs/<profile>/`` (their parameters and Summary bullets) and writes
one self-contained HTML file, ``runs/<profile>/lab_report.html`` by default, with the sections of the student lab
report: Data, Architecture, Training curve and PSNR, Tuning table, Inference across noise types, Conclusions,
Limitations.
Figures are embedded as base64 PNG, so the file can be mailed or uploaded on its own. Results files are read through
their dataclasses (`n2n_lib.results`): one that is missing (its notebook has not been run) becomes a visible note, in
its section and under Key results, saying which notebook writes it, and the report is still written; one that exists
but does not match what its notebook writes is an error (`InputError`, exit status 2), never a silent gap.
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from n2n_lib.errors import InputError
from n2n_lib.io import atomic_write
from n2n_lib.params import check_profile
from n2n_lib.paths import figures_dir, project_root, results_dir
from n2n_lib.result_files import CsvResult
from n2n_lib.results import (
    ALL,
    Architecture,
    AugmentationAblation,
    Baselines,
    BaselineSettings,
    DataSummary,
    NoiseTypes,
    PretrainedEval,
    Training,
    TuningSummary,
    TuningTable,
)

# Section title → (results files, figure name patterns (globs without .png), notebook that saves the figures).
SECTIONS: dict[str, tuple[tuple[type, ...], tuple[str, ...], str]] = {
    "Data": ((DataSummary,), ("fig_embedded_photos", "fig_noise_types", "fig_training_pairs"), "01"),
    "Architecture": ((Architecture,), ("fig_architecture*", "fig_receptive_field*", "fig_untrained*"), "02"),
    "Training curve and PSNR": (
        (Training, AugmentationAblation),
        ("fig1_*", "fig_training_curve*", "fig_n2n_*", "fig_noisy_target*", "fig_optimizers*", "fig_overfitting*"),
        "03",
    ),
    "Tuning table": ((TuningTable, TuningSummary), ("fig_tuning*",), "04"),
    "Inference across noise types": (
        (Baselines, BaselineSettings, NoiseTypes, PretrainedEval),
        ("fig_baselines*", "fig2_*", "fig_methods*"),
        "05",
    ),
}
_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
h1 { border-bottom: 2px solid #333; } h2 { border-bottom: 1px solid #bbb; margin-top: 2.5rem; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.9rem; display: block; overflow-x: auto; }
caption { text-align: left; font-weight: 600; padding: 0.2rem 0; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: left; } th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1rem 0; } figure img { max-width: 100%; } figcaption { color: #555; font-size: 0.85rem; }
.missing { background: #fff4e0; border-left: 4px solid #e0a000; padding: 0.4rem 0.8rem; }
code { background: #f4f4f4; padding: 0 0.2rem; }
"""


def _note(text: str) -> str:
    return f'<p class="missing">{markdown_inline(text)}</p>'


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f'<td class="num">{value:g}</td>'
    if isinstance(value, int) and not isinstance(value, bool):
        return f'<td class="num">{value}</td>'
    if isinstance(value, list) and len(value) > 6:
        value = f"[{', '.join(map(str, value[:4]))}, … {len(value)} values]"
    return f"<td>{html.escape(str(value))}</td>"


def html_table(rows: list[dict[str, Any]], caption: str | None = None) -> str:
    """An HTML table with one row per dict; columns are the union of the keys, in first-seen order."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(_cell(row.get(c, "")) for c in columns) + "</tr>" for row in rows)
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


SKIPPED_KEYS = ("history",)  # per-epoch lists: the training-curve figures show them


def _flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts → {"a.b.c": scalar or list}, leaving out `SKIPPED_KEYS`."""
    if not isinstance(obj, dict):
        return {prefix: obj}
    flat: dict[str, Any] = {}
    for key, value in obj.items():
        if key not in SKIPPED_KEYS:
            flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def _is_records(value: Any) -> bool:
    """A dict of dicts (one entry per preset, image, noise type…) or a list of dicts, whose entries hold no such
    collections themselves: one table row per entry."""
    entries = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    entries = list(entries)
    return bool(entries) and all(isinstance(e, dict) and not _has_records(e) for e in entries)


def _has_records(value: Any) -> bool:
    return isinstance(value, dict) and any(_is_records(v) or _has_records(v) for v in value.values())


def _records_table(value: Any, caption: str | None = None) -> str:
    if isinstance(value, dict):
        return html_table([{"": name, **_flatten(v)} for name, v in value.items()], caption=caption)
    return html_table([_flatten(v) for v in value], caption=caption)


def render_json(obj: Any, caption: str = "") -> str:
    """JSON as tables: a dict of dicts (e.g. one entry per preset or noise type) becomes one row per entry, a list of
    dicts one row per item, and the remaining values a two-column key/value table (nested keys joined with dots)."""
    if _is_records(obj):
        return _records_table(obj, caption or None)
    if not isinstance(obj, dict):
        return f"<p>{html.escape(json.dumps(obj))}</p>"
    parts, scalars = [], {}
    for key, value in obj.items():
        if key in SKIPPED_KEYS:
            continue
        name = f"{caption}.{key}" if caption else str(key)
        if _is_records(value):
            parts.append(_records_table(value, name))
        elif _has_records(value):
            parts.append(render_json(value, name))
        else:
            scalars.update(_flatten(value, str(key)))
    if scalars:
        parts.insert(0, html_table([{"": key, "value": value} for key, value in scalars.items()], caption or None))
    return "\n".join(parts)


def read_results(folder: Path) -> dict[type, Any]:
    """Every file of `n2n_lib.results.ALL` in `folder`, read through its dataclass; None for a file that does not exist
    (its notebook has not been run). A file that exists but does not match raises InputError."""
    return {cls: cls.read_if_present(folder) for cls in ALL}


def _missing(cls: type) -> str:
    return f"Notebook {cls.NOTEBOOK} has not been run: no {cls.WHAT}; {cls.fix()} to write results/{cls.FILE}."


def not_run(loaded: dict[type, Any]) -> list[str]:
    """One sentence per notebook whose results files are missing, e.g. "notebook 04 has not been run: no tuning table,
    no tuning results"."""
    missing: dict[str, list[str]] = {}
    for cls, result in loaded.items():
        if result is None:
            missing.setdefault(cls.NOTEBOOK, []).append(f"no {cls.WHAT}")
    return [f"Notebook {nb} has not been run: {', '.join(what)}." for nb, what in sorted(missing.items())]


def _shown(path: Path | None) -> str:
    """`path` relative to the project when it lies inside it (no absolute paths in the report)."""
    if path is None:
        return "runs/<profile>"
    try:
        return path.resolve().relative_to(project_root()).as_posix()
    except ValueError:
        return str(path)


def _figure(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    name = html.escape(path.stem)
    return f'<figure><img alt="{name}" src="data:image/png;base64,{data}"><figcaption>{name}</figcaption></figure>'


def _figures(folder: Path, patterns: Iterable[str], used: set[Path]) -> list[str]:
    out = []
    for pattern in patterns:
        for path in sorted(folder.glob(f"{pattern}.png")):
            if path not in used:
                used.add(path)
                out.append(_figure(path))
    return out


def markdown_inline(text: str) -> str:
    """Escape `text` and render the inline Markdown the notebooks use: `code`, **bold**, *italic*, [text](url)."""
    out = html.escape(text, quote=False)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", out)
    out = re.sub(r"(?<![*\w])\*([^*]+)\*(?![*\w])", r"<em>\1</em>", out)
    return re.sub(r"\[([^\]]+)\]\(([^)\s\"]+)\)", r'<a href="\2">\1</a>', out)


def summary_bullets(notebook: Path) -> list[str]:
    """The bullets under a notebook's ``## Summary`` heading (continuation lines joined), as plain Markdown strings."""
    return _summary_bullets(json.loads(notebook.read_text(encoding="utf-8")))


def _summary_bullets(nb: dict) -> list[str]:
    """`summary_bullets` of a notebook already read as JSON."""
    for cell in nb.get("cells", []):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        if cell.get("cell_type") != "markdown" or "## Summary" not in source:
            continue
        body = source.split("## Summary", 1)[1].split("\n## ", 1)[0]
        bullets: list[str] = []
        for line in body.splitlines():
            if re.match(r"^\s*[*-] ", line):
                bullets.append(line.strip()[2:])
            elif line.strip() and bullets:
                bullets[-1] += " " + line.strip()
        return bullets
    return []


def _run_info(runs: Path | None) -> tuple[str, list[str]]:
    """(HTML table of the executed notebooks and their parameters, Summary sections as HTML)."""
    if runs is None or not runs.is_dir() or not sorted(runs.glob("[0-9][0-9]_*.ipynb")):
        return _note(f"No executed notebooks in {_shown(runs)}: run `make run` to execute them."), []
    rows, summaries = [], []
    for nb in sorted(runs.glob("[0-9][0-9]_*.ipynb")):
        try:
            executed = json.loads(nb.read_text(encoding="utf-8"))
            meta, bullets = executed.get("metadata", {}).get("papermill", {}), _summary_bullets(executed)
        except (ValueError, OSError):
            rows.append({"notebook": nb.name, "parameters": "(unreadable)", "seconds": ""})
            continue
        params = ", ".join(f"{k}={v!r}" for k, v in meta.get("parameters", {}).items())
        duration = meta.get("duration")
        rows.append(
            {"notebook": nb.name, "parameters": params, "seconds": round(duration) if duration is not None else ""}
        )
        if bullets:
            items = "".join(f"<li>{markdown_inline(b)}</li>" for b in bullets)
            summaries.append(f"<h3>{html.escape(nb.stem)}</h3><ul>{items}</ul>")
    return html_table(rows, caption="executed notebooks"), summaries


def _training_sentence(training: Training) -> str:
    evaluation = training.evaluation
    n2n, n2c = evaluation.N2N, evaluation.N2C
    sentence = (
        f"Notebook 03's training: on the whole {evaluation.folder} photos with {evaluation.noise} noise, Noise2Noise "
        f"reaches {n2n.mean_psnr:.2f} dB and Noise2Clean {n2c.mean_psnr:.2f} dB (noisy input "
        f"{n2n.mean_noisy_psnr:.2f} dB), with the same network, data, seed and budget."
    )
    verdict = (training.verdicts or {}).get("N2N vs N2C")
    return f"{sentence} Over {len(training.seeds)} seeds: {verdict}." if verdict and training.seeds else sentence


def _baselines_sentences(baselines: Baselines, settings: BaselineSettings | None) -> list[str]:
    rows = {row["method"]: row for row in baselines.rows()}
    crop = settings.crop if settings else None
    where = f"centre crops ({crop}×{crop} px) of data/eval" if crop else "data/eval"
    out = []
    if {"N2N", "N2C", "noisy input"} <= rows.keys():
        n2n, n2c, noisy = (rows[k]["PSNR"] for k in ("N2N", "N2C", "noisy input"))
        out.append(
            f"Trained on noisy targets only, the network reaches {n2n:.2f} dB on {where} (noisy input "
            f"{noisy:.2f} dB), {n2n - n2c:+.2f} dB from the same network trained on clean targets ({n2c:.2f} dB)."
        )
    named = settings.networks if settings else {}
    networks = {"noisy input", *named, "N2N", "N2C"}
    classical = {k: v for k, v in rows.items() if k not in networks}
    linear = [m for m in LINEAR_FILTERS if m in rows]
    if linear and "N2N" in rows:
        margins = ", ".join(f"{m} {rows['N2N']['PSNR'] - rows[m]['PSNR']:+.2f} dB" for m in linear)
        out.append(f"Against the linear filters, the network of notebook 03 (N2N) scores: {margins}.")
    # The headline network is the shipped Noise2Noise model where the table has it, else notebook 03's.
    shipped = [label for label, path in named.items() if path.endswith("n2n_gaussian.pt") and label in rows]
    lead = shipped[0] if shipped else "N2N"
    if classical and lead in rows:
        best = max(classical.values(), key=lambda r: r["PSNR"])
        out.append(
            f"The best classical method is {best['method']} at {best['PSNR']:.2f} dB "
            f"({rows[lead]['PSNR'] - best['PSNR']:+.2f} dB for {lead})."
        )
    return out


LINEAR_FILTERS = ("mean filter 3×3", "Gaussian blur")  # the bars any trained denoiser must clear


def _pretrained_sentence(pretrained: PretrainedEval) -> str:
    ssim = f", SSIM {pretrained.mean_ssim:.3f}" if pretrained.mean_ssim is not None else ""
    text = (
        f"The shipped pretrained model ({pretrained.checkpoint}) reaches {pretrained.mean_psnr:.2f} dB{ssim} on the "
        f"whole data/eval images with {pretrained.noise} noise (noisy input {pretrained.mean_noisy_psnr:.2f} dB)"
    )
    twin = pretrained.twin
    if twin is None:
        return text + "."
    return f"{text}; its twin trained on clean targets ({twin.checkpoint}) reaches {twin.mean_psnr:.2f} dB."


def _numbers_conclusions(loaded: dict[type, Any]) -> list[str]:
    """Sentences computed from the results read by `read_results`; a missing file's sentences are left out (`not_run`
    says which notebook to run)."""
    out = []
    if loaded[Training] is not None:
        out.append(_training_sentence(loaded[Training]))
    if loaded[Baselines] is not None:
        out += _baselines_sentences(loaded[Baselines], loaded[BaselineSettings])
    if loaded[PretrainedEval] is not None:
        out.append(_pretrained_sentence(loaded[PretrainedEval]))
    if loaded[NoiseTypes] is not None:
        out += _noise_type_sentences(loaded[NoiseTypes])
    return out


def _noise_type_sentences(result: NoiseTypes) -> list[str]:
    """The gallery's gains over the noisy input, and what the shipped models add over the quickly trained ones."""
    kinds = result.kinds
    gains = ", ".join(f"{kind} {r.psnr - r.noisy_psnr:+.2f} dB" for kind, r in kinds.items())
    out = [f"With the matching loss, one model per noise type improves PSNR over its noisy input by: {gains}."]
    shipped = {kind: r for kind, r in kinds.items() if r.shipped_psnr is not None}
    if shipped:
        shown = ", ".join(
            f"{kind} {r.shipped_psnr:.2f} dB ({r.shipped_psnr - r.psnr:+.2f} dB)" for kind, r in shipped.items()
        )
        out.append(
            "The shipped model of each noise type (checkpoints/n2n_<kind>.pt, a larger U-Net trained on photo crops "
            f"for minutes), on the same noisy images, and its lead over the quick model of notebook 05: {shown}."
        )
    return out


LIMITATIONS = [
    "The embedded training set holds crops of only six photos, so long budgets overfit; the checkpoint with the best "
    "validation PSNR is kept, and validation uses two other photos.",
    "data/eval has five images, so differences of a few hundredths of a dB are within the noise of the choice of "
    "images and seeds.",
    "The quick profile trains for a minute or so on a CPU and measures the baselines on centre crops; its numbers are "
    "lower than what the full profile (GPU-scale budgets, whole images) reaches.",
    "The classical methods and CBM3D are told the true σ; the Noise2Noise and Noise2Clean networks are trained for "
    "σ = 25 and are not blind to it (the shipped pretrained model is: it saw σ ∈ [0, 50]).",
    "Timings are wall-clock seconds on the machine that ran the notebooks and vary with its load.",
]


def _results_section(loaded: dict[type, Any], classes: tuple[type, ...]) -> list[str]:
    """Each file of a section as tables, or a note saying which notebook writes it."""
    out = []
    for cls in classes:
        result = loaded[cls]
        if result is None:
            out.append(_note(_missing(cls)))
            continue
        out.append(f"<h3>{html.escape(cls.FILE)}</h3>")
        out.append(html_table(result.rows()) if isinstance(result, CsvResult) else render_json(result.to_json()))
    return out


def build_report(results: Path, figures: Path, runs: Path | None = None, title: str = "n2n-lab report") -> str:
    """The whole report as one HTML string (figures from `figures` embedded, tables from `results`).

    Raises InputError when a file in `results` exists but does not match what its notebook writes."""
    loaded = read_results(results)
    used: set[Path] = set()
    runs_table, summaries = _run_info(runs)
    numbers, missing = _numbers_conclusions(loaded), not_run(loaded)
    body = [f"<h1>{html.escape(title)}</h1>"]
    if numbers or missing:  # the headline, before the details, and which notebooks have not been run
        items = "".join(f"<li>{html.escape(s)}</li>" for s in numbers)
        body.append("<h2>Key results</h2>" + (f"<ul>{items}</ul>" if numbers else ""))
        body.extend(_note(text) for text in missing)
    body.append(runs_table)
    for number, (section, (classes, patterns, notebook)) in enumerate(SECTIONS.items(), start=1):
        body.append(f"<h2>{number} · {html.escape(section)}</h2>")
        body.extend(_results_section(loaded, classes))
        pictures = _figures(figures, patterns, used)
        body.extend(pictures or [_note(f"No figures for this section in figures/: notebook {notebook} saves them.")])
    n = len(SECTIONS)
    body.append(f"<h2>{n + 1} · Conclusions</h2>")
    if numbers:
        body.append("<ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in numbers) + "</ul>")
    body.extend(summaries or [_note("No notebook summaries: run `make run` first.")])
    body.append(f"<h2>{n + 2} · Limitations</h2>")
    body.append("<ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in LIMITATIONS) + "</ul>")
    others = [p for p in sorted(figures.glob("*.png")) if p not in used]
    if others:
        body.append("<h2>Other figures</h2>")
        body.extend(_figure(p) for p in others)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def write_report(
    out: str | Path, results: str | Path, figures: str | Path, runs: str | Path | None = None, title: str | None = None
) -> Path:
    """Build the report and write it atomically to `out`; returns `out`."""
    text = build_report(
        Path(results), Path(figures), Path(runs) if runs is not None else None, title or "n2n-lab report"
    )
    return atomic_write(Path(out), lambda tmp: tmp.write_text(text, encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m n2n_lib.lab.report", description=__doc__.split("\n\n")[0])
    p.add_argument("--profile", default="quick", help="which run to report on: quick or full (default quick)")
    p.add_argument("--runs", type=Path, default=None, help="folder of executed notebooks (default runs/PROFILE)")
    p.add_argument("--out", type=Path, default=None, help="HTML file to write (default runs/PROFILE/lab_report.html)")
    args = p.parse_args(argv)
    try:
        check_profile(args.profile)
        runs = args.runs or project_root() / "runs" / args.profile
        out = args.out or runs / "lab_report.html"
        write_report(out, results_dir(), figures_dir(), runs, title=f"n2n-lab report ({args.profile} profile)")
        loaded = read_results(results_dir())
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for sentence in _numbers_conclusions(loaded) + not_run(loaded):  # the headline, for whoever ran `make run`
        print(f"* {sentence}")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
