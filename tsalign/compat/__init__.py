"""Compatibility namespaces: other libraries' exact behaviour where tsalign differs.

- :mod:`tsalign.compat.tslearn`: ``tslearn.metrics`` bit for bit where
  tsalign deliberately differs (float64 results for float32 inputs,
  ``cdist_soft_dtw(gamma=0)`` equal to ``cdist_dtw``, tslearn's CTW).
"""
