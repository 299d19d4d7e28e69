"""n2n_lib: the library behind the n2n-lab notebooks (Noise2Noise, Lehtinen et al., ICML 2018).

Modules, one concept each, and the notebook that teaches them:

* ``data``, ``imagenet32``, ``pairs``, ``augment`` — image sources, 32×32 patches, report-style torch pickles (01)
* ``noise`` — synthetic noise models parsed from specs such as ``gaussian:25`` (01)
* ``model`` — the U-Net with an explicit skip stack (02)
* ``losses``, ``metrics``, ``train``, ``checkpoint``, ``hardware`` — losses, PSNR/SSIM, the one training loop, saved
  models, and the device/precision/thread choices (03)
* ``tune`` — the Ray Tune + HyperOpt search and the report's Table 1 (04)
* ``inference``, ``baselines``, ``widgets``, ``report`` — denoising, the classical baselines, the σ slider and the
  HTML lab report (05)
* ``plotting``, ``io``, ``params``, ``paths``, ``notebooks``, ``errors`` — figures, safe files, parameter checks,
  folders, the headless runner and user-facing errors (all notebooks)
"""

__version__ = "0.1.0"
