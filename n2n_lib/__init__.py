"""n2n_lib: the library behind the n2n-lab notebooks (Noise2Noise, Lehtinen et al., ICML 2018).

Modules, one concept each, and the notebook that teaches them:

* ``data``, ``augment`` — image sources, 32×32 patches, report-style torch pickles (01)
* ``noise`` — synthetic noise models parsed from specs such as ``gaussian:25`` (01)
* ``model`` — the U-Net with an explicit skip stack (02)
* ``losses``, ``metrics``, ``train`` — losses, PSNR/SSIM and the one training loop (03)
* ``plotting`` — curves, image grids and ``save_figure`` (all notebooks)
"""

__version__ = "0.1.0"
