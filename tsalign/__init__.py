"""tsalign: alignment metrics for sequences on numpy, PyTorch and CuPy.

Importing tsalign is cheap: it imports numpy and array-api-compat only.
torch, cupy and numba are imported when a computation needs them (the
public modules import their kernels lazily).
"""

# Each family lists its public names once, in its own __all__; they are re-exported here.
from . import ctw as _ctw_api
from . import dilate as _dilate_api
from . import dtw as _dtw_api
from . import frechet as _frechet_api
from . import gak as _gak_api
from . import lcss as _lcss_api
from . import ldtw as _ldtw_api
from . import soft_dtw as _soft_dtw_api
from . import ssnt as _ssnt_api
from .backend import Backend, instantiate_backend
from .ctw import *  # noqa: F403
from .dilate import *  # noqa: F403
from .dtw import *  # noqa: F403
from .frechet import *  # noqa: F403
from .gak import *  # noqa: F403
from .lcss import *  # noqa: F403
from .ldtw import *  # noqa: F403

# explicit: a star import would build the scikit-learn classifier (tsalign.neighbors'
# __all__ names it; it is made on first access) and import scikit-learn with tsalign
from .neighbors import kneighbors_dtw, subsequence_search_dtw
from .soft_dtw import *  # noqa: F403
from .ssnt import *  # noqa: F403

__version__ = "0.1.0"

__all__ = ["Backend", "instantiate_backend"]
__all__ += _dtw_api.__all__
__all__ += ["kneighbors_dtw", "subsequence_search_dtw"]
__all__ += _soft_dtw_api.__all__
__all__ += _dilate_api.__all__
__all__ += _ssnt_api.__all__
__all__ += _ldtw_api.__all__
__all__ += _frechet_api.__all__
__all__ += _lcss_api.__all__
__all__ += _gak_api.__all__
__all__ += _ctw_api.__all__
__all__ += ["__version__"]
