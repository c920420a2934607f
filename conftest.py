"""Collection rules for the doctest run over ``tsalign/`` (pytest's rootdir conftest).

``tsalign/_dask`` imports dask at module level (it is only imported when dask
is); without dask installed its modules are not collected for doctests.
"""

import importlib.util

collect_ignore_glob = [] if importlib.util.find_spec("dask") else ["tsalign/_dask/*"]
