"""Lab tooling beside the teaching library: building data collections, running notebooks, writing the report.

Nothing here is taught in a notebook; `ls n2n_lib` shows the concepts the notebooks teach, this folder the machinery.
"""
