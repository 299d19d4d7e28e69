"""n2n_lib: the library behind the n2n-lab notebooks (Noise2Noise, Lehtinen et al., ICML 2018).

Modules, one concept each, and the notebook that teaches them:

* ``data``, ``imagenet32``, ``pairs``, ``augment`` — image sources, 32×32 patches, report-style torch pickles (01)
* ``noise`` — synthetic noise models parsed from specs such as ``gaussian:25`` (01)
* ``model`` — the U-Net with an explicit skip stack (02)
* ``losses``, ``metrics``, ``train``, ``batches``, ``crops``, ``checkpoint``, ``hardware`` — losses, PSNR/SSIM, the
  one training loop, the training batches and validation pass it runs on the device, training on random crops of
  whole photos, saved models, and the device/precision/thread choices (03)
* ``tune`` — the Ray Tune + HyperOpt search and the report's Table 1 (04)
* ``inference``, ``evaluate``, ``baselines``, ``widgets`` — denoising, the evaluation protocol (seeded noise on
  ``data/eval``, PSNR and SSIM; also 03), the classical baselines and the σ slider (05)
* ``results``, ``result_files`` — the files in ``results/``, one typed dataclass each, checked when a notebook's
  last cell writes them and when the next notebook or the report reads them (all notebooks)
* ``plotting``, ``io``, ``params``, ``paths``, ``errors`` — figures, safe files, parameter checks, folders and
  user-facing errors (all notebooks)

``n2n_lib.lab`` holds the machinery around the lab rather than its concepts: the headless notebook runner
(``notebooks``), the expected-result bands of the notebooks' check cells (``expected``), the HTML lab report
(``report``), the offline training-photo collection (``photo_collection`` and its helpers), the shipped models'
recipes (``pretrained``), and the checks and hidden reference solutions of the notebooks' coding exercises
(``exercises``, ``solutions``).
"""

__version__ = "0.1.0"
