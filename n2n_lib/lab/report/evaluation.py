"""The report's result sections, from notebook 05: inference across noise types and the comparison with classical
methods (the baselines table and the shipped pretrained twins on whole photos).
"""

from __future__ import annotations

from n2n_lib.lab.report import units
from n2n_lib.lab.report.context import Lab
from n2n_lib.lab.report.markup import Cell, note, paragraph, table
from n2n_lib.results import Baselines, BaselineSettings, NoiseTypes, PretrainedEval
from n2n_lib.verdict import MIN_SCORES, Comparison, compare

LOSS_LABELS = {"l2": "L2", "l1": "L1", "l0": "L0 (annealed)", "l2_masked": "L2 on unmasked pixels"}
LINEAR_FILTERS = ("mean filter 3×3", "Gaussian blur")  # the bars any trained denoiser must clear
NOISY = "noisy input"


def noise_types(lab: Lab) -> list[str]:
    result = lab.get(NoiseTypes)
    if result is None:
        return [note(text) for text in lab.missing(NoiseTypes)]
    out = [
        paragraph(
            "Notebook 05 trains one model per noise type, each with the loss its noise needs (the report's Fig. 2): a "
            "noise whose mean is the clean image can use L2, others need the median (L1) or the mode (L0). Each model "
            "is measured on the evaluation images corrupted by its own noise, beside the lab's shipped model for the "
            "same noise (a larger U-Net trained longer on photo crops)."
        )
    ]
    rows: list[list[Cell]] = []
    for r in result.kinds.values():
        shipped = units.db(r.shipped_psnr) if r.shipped_psnr is not None else "not shipped"
        rows.append(
            [
                r.label,
                LOSS_LABELS.get(r.loss, units.label(r.loss)),
                units.db(r.noisy_psnr),
                units.db(r.psnr),
                units.db_delta(r.psnr - r.noisy_psnr),
                shipped,
            ]
        )
    columns = ["noise", "loss", "noisy input", "model of notebook 05", "gain", "shipped model"]
    out.append(table(columns, rows, "Mean PSNR per noise type on the evaluation images."))
    return out


def _kind(method: str, settings: BaselineSettings | None) -> str:
    if method == NOISY:
        return "input"
    if settings is not None and method in settings.networks:
        return f"network, `{settings.networks[method]}`"
    return "network" if method in ("N2N", "N2C") else "classical"


def _baselines_sentences(rows: dict[str, dict], settings: BaselineSettings | None) -> list[str]:
    crop = settings.crop if settings else None
    where = f"centre crops ({crop}×{crop} px) of the evaluation photos" if crop else "the whole evaluation photos"
    out = []
    if {"N2N", "N2C", NOISY} <= rows.keys():
        n2n, n2c, noisy = (rows[k]["PSNR"] for k in ("N2N", "N2C", NOISY))
        out.append(
            f"Trained on noisy targets only, notebook 03's network reaches {units.db(n2n)} on {where} (noisy input "
            f"{units.db(noisy)}), {units.db_delta(n2n - n2c)} from the same network trained on clean targets."
        )
    linear = [m for m in LINEAR_FILTERS if m in rows]
    if linear and "N2N" in rows:
        margins = ", ".join(f"{m} {units.db_delta(rows['N2N']['PSNR'] - rows[m]['PSNR'])}" for m in linear)
        out.append(f"Its margin over the linear filters: {margins}.")
    networks = {NOISY, "N2N", "N2C", *(settings.networks if settings else {})}
    classical = {k: v for k, v in rows.items() if k not in networks}
    shipped = [k for k, path in (settings.networks if settings else {}).items() if path.endswith("n2n_gaussian.pt")]
    lead = next((k for k in shipped if k in rows), "N2N")
    if classical and lead in rows:
        best = max(classical.values(), key=lambda r: r["PSNR"])
        out.append(
            f"The best classical method is {best['method']} at {units.db(best['PSNR'])}; {lead} is "
            f"{units.db_delta(rows[lead]['PSNR'] - best['PSNR'])} from it."
        )
    return out


def twin_verdict(pretrained: PretrainedEval) -> Comparison | None:
    """The shipped N2N model against its N2C twin, image by image (as notebook 05 decides it); None without a twin
    or with fewer images than a verdict needs."""
    twin = pretrained.twin
    names = [n for n in pretrained.images if twin is not None and n in twin.images]
    if twin is None or len(names) < MIN_SCORES:
        return None
    n2n = [pretrained.images[n]["psnr"] for n in names]
    n2c = [twin.images[n]["psnr"] for n in names]
    return compare("N2N", n2n, "N2C", n2c, paired=True, over="images")


def _pretrained(pretrained: PretrainedEval) -> list[str]:
    twin = pretrained.twin
    text = (
        f"The shipped blind Noise2Noise model (`{pretrained.checkpoint}`) reaches {units.db(pretrained.mean_psnr)} "
        f"on the whole evaluation photos with {units.noise(pretrained.noise)} noise (noisy input "
        f"{units.db(pretrained.mean_noisy_psnr)})"
    )
    text += f"; its twin trained on clean targets, {units.db(twin.mean_psnr)}." if twin else "."
    rows = []
    for name, r in pretrained.images.items():
        other = twin.images.get(name, {}).get("psnr") if twin else None
        rows.append([name, units.db(r["noisy_psnr"]), units.db(r["psnr"]), units.db(other)])
    rows.append(
        [
            "mean",
            units.db(pretrained.mean_noisy_psnr),
            units.db(pretrained.mean_psnr),
            units.db(twin and twin.mean_psnr),
        ]
    )
    caption = "The shipped twins on the whole evaluation photos: same network and recipe, noisy or clean targets."
    return [paragraph(text), table(["image", "noisy input", "shipped N2N", "shipped N2C"], rows, caption)]


def classical(lab: Lab) -> list[str]:
    baselines, settings, pretrained = lab.get(Baselines), lab.get(BaselineSettings), lab.get(PretrainedEval)
    out = [note(text) for text in lab.missing(Baselines, BaselineSettings, PretrainedEval)]
    if baselines is not None:
        rows = {row["method"]: row for row in baselines.rows()}
        n_classical = sum(_kind(m, settings) == "classical" for m in rows)
        images = (
            f" ({', '.join(settings.images)}; {units.noise(settings.noise)}, seed {settings.seed})" if settings else ""
        )
        out.append(
            paragraph(
                f"Notebook 05 runs {n_classical} classical denoisers (told the true σ) and the networks on the same "
                f"noisy images{images}. " + " ".join(_baselines_sentences(rows, settings))
            )
        )
        table_rows = [
            [
                m,
                _kind(m, settings),
                units.db(r["PSNR"]),
                units.ssim(r["SSIM"]),
                units.seconds(r["seconds_per_image"]) if m != NOISY else units.MISSING,
            ]
            for m, r in rows.items()
        ]
        columns = ["method", "kind", "PSNR", "SSIM", "time per image"]
        out.append(
            table(columns, table_rows, "Every method on the same noisy images; higher PSNR and SSIM are better.")
        )
    if pretrained is not None:
        out += _pretrained(pretrained)
    return out
