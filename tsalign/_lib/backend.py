"""Backend implementation (public names re-exported by :mod:`tsalign.backend`)."""

from __future__ import annotations

import contextlib
import importlib
import inspect
import sys
from typing import Any

import array_api_compat
import numpy as np

from .backend_compat import TslearnBackendMethods
from .docs import add_fragments, fill_doc

add_fragments(
    backend_x="""\
x : array
    An array of this backend's library.""",
)


class Backend(TslearnBackendMethods):
    """Base class of the backends; ``Backend(data)`` picks one (tslearn's contract).

    ``Backend(data)`` returns the backend for ``data``: ``None`` gives numpy, a
    name (``"numpy"``, ``"pytorch"`` or ``"torch"``, ``"cupy"``) that backend, a
    :class:`Backend` itself, and an array (or a list of arrays) its library's
    backend.  An unknown name is a ValueError.  The subclasses are built without
    arguments (``NumPyBackend()``).

    Attribute access falls through to the array-api-compat namespace of the
    library (``be.zeros``, ``be.float64``, ``be.sqrt``, ``be.linalg.norm``...),
    so a backend offers the usual array helpers without re-writing them.

    Parameters
    ----------
    data : None, str, Backend or array
        What to pick the backend for (see above).

    Attributes
    ----------
    backend_string : str
        ``"numpy"``, ``"pytorch"`` or ``"cupy"``.
    is_numpy, is_pytorch, is_cupy : bool
        Which library the backend wraps.

    Examples
    --------
    >>> import numpy as np
    >>> from tsalign.backend import Backend
    >>> Backend("numpy").backend_string
    'numpy'
    >>> Backend(np.zeros(3)).is_numpy
    True
    >>> Backend() is Backend("numpy")
    True
    """

    backend_string: str = ""
    is_numpy = False
    is_pytorch = False
    is_cupy = False

    def __new__(cls, data: Any = None):
        if cls is not Backend:
            if data is not None:
                raise TypeError(
                    f"{cls.__name__}() takes no data; Backend(data) picks the backend for data"
                )
            return super().__new__(cls)
        return _select(data)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # subclasses are built without arguments: say so to inspect/numpydoc
        # (``data`` exists only so that Backend(data) can return one of them)
        cls.__signature__ = inspect.Signature()

    def __init__(self, data: Any = None) -> None:
        # Backend(data) returns a shared, already initialised instance
        if "xp" not in self.__dict__:
            self.xp = self._namespace()

    # -- plumbing ---------------------------------------------------------------
    def _namespace(self):  # pragma: no cover - overridden
        raise NotImplementedError

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: delegate to the array namespace.
        if name == "xp":
            raise AttributeError(name)
        return getattr(self.xp, name)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    @staticmethod
    def _select_backend(data):
        return select_backend(data)

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))

    @property
    def linalg(self):
        return self.xp.linalg

    # -- arrays -------------------------------------------------------------------
    def is_array(self, x: Any) -> bool:
        """Whether ``x`` is an array of this backend's library.

        Parameters
        ----------
        x : object
            Anything.

        Returns
        -------
        bool
            True for an array (tensor) of this backend's library.
        """
        raise NotImplementedError

    def array(self, x: Any, dtype: Any = None):
        """Convert ``x`` to this backend's array type.

        Parameters
        ----------
        x : array-like
            Data (a list, a scalar, an array of this library).
        dtype : dtype, type or None
            The dtype of the result: this library's dtype, a numpy dtype or
            its name; ``float`` means float64 and ``int`` int64 (numpy's
            convention, kept for torch too); None keeps or infers it.

        Returns
        -------
        array
            An array of this backend's library.
        """
        if dtype is float:
            dtype = self.xp.float64
        elif dtype is int:
            dtype = self.xp.int64
        elif dtype is not None and not isinstance(dtype, str) and self._is_numpy_dtype(dtype):
            dtype = getattr(self.xp, np.dtype(dtype).name)
        return self.xp.asarray(x, dtype=dtype)

    @staticmethod
    def _is_numpy_dtype(dtype) -> bool:
        try:
            np.dtype(dtype)
        except TypeError:
            return False
        return True

    @fill_doc
    def shape(self, x) -> tuple[int, ...]:
        """The shape of ``x`` as a tuple of ints.

        Parameters
        ----------
        %(backend_x)s

        Returns
        -------
        tuple of int
            The shape.
        """
        return tuple(x.shape)

    @fill_doc
    def to_numpy(self, x) -> np.ndarray:
        """Explicit copy to a host numpy array (only when the user asks for one).

        Parameters
        ----------
        %(backend_x)s

        Returns
        -------
        numpy.ndarray
            The values on the host (a copy for device arrays).
        """
        raise NotImplementedError

    @fill_doc
    def float_dtype_of(self, x):
        """The float dtype a computation on ``x`` runs in (float32 or float64).

        Parameters
        ----------
        %(backend_x)s

        Returns
        -------
        dtype
            The dtype of ``x`` when it is float32 or float64, float64
            otherwise (integers, half precision).
        """
        raise NotImplementedError

    # -- kernel hooks -------------------------------------------------------------
    @fill_doc
    def on_gpu(self, x) -> bool:
        """Whether ``x`` lives on a CUDA device.

        Parameters
        ----------
        %(backend_x)s

        Returns
        -------
        bool
            True for a CUDA array or tensor.
        """
        return False

    @fill_doc
    def device_of(self, x):
        """The device of ``x`` (array API ``device``).

        Parameters
        ----------
        %(backend_x)s

        Returns
        -------
        object
            The library's device object (``"cpu"`` for numpy).
        """
        return array_api_compat.device(x)

    @fill_doc
    def kernel_view(self, x):
        """A zero-copy numpy (CPU) or cupy (GPU) view of ``x`` for the kernels.

        Parameters
        ----------
        %(backend_x)s

        Returns
        -------
        numpy.ndarray or cupy.ndarray
            A view of the same memory (detached from autograd).
        """
        raise NotImplementedError

    def from_kernel(self, y, like=None):
        """Wrap a kernel result (numpy or cupy) as this backend's array.

        Parameters
        ----------
        y : numpy.ndarray or cupy.ndarray
            What a kernel returned.
        like : array or None
            An input of the call, whose device the result takes (torch).

        Returns
        -------
        array
            ``y`` as this backend's array, without a copy where possible.
        """
        raise NotImplementedError

    @fill_doc
    def kernel_context(self, x):
        """Context in which GPU kernels for ``x`` are launched (device, stream).

        Parameters
        ----------
        %(backend_x)s

        Returns
        -------
        context manager
            Selects ``x``'s device and stream on entry (a no-op on the CPU).
        """
        return contextlib.nullcontext()

    def kernel_family(self, name: str, x):
        """The kernel module ``name`` for where ``x`` lives (cpu or cuda).

        Parameters
        ----------
        name : str
            The kernel family (``"dtw"``, ``"soft_dtw"``, ...).
        x : array
            An input of the call: its device picks the CPU or the CUDA module.

        Returns
        -------
        module
            ``tsalign.kernels.cpu.<name>`` or ``tsalign.kernels.cuda.<name>``.
        """
        from .. import kernels

        return kernels.family(name, gpu=self.on_gpu(x))

    def call_kernel(self, family: str, name: str, ref, *args, **kwargs):
        """Run kernel ``family.name`` where ``ref`` lives.

        Arguments that are arrays of this backend are passed as zero-copy
        kernel views (host arrays such as lengths pass through unchanged);
        array results come back as this backend's arrays.

        Parameters
        ----------
        family : str
            The kernel family (a module of ``tsalign/kernels/cpu`` and ``cuda``).
        name : str
            The launcher, as declared in ``tsalign/kernels/_contract.py``.
        ref : array
            The array whose device decides where the kernel runs.
        *args : object
            Positional arguments of the launcher.
        **kwargs : object
            Keyword arguments of the launcher.

        Returns
        -------
        object
            The launcher's result, its arrays wrapped as this backend's.
        """
        from ..kernels._contract import check_launcher

        gpu = self.on_gpu(ref)
        check_launcher(family, name, gpu)
        fn = getattr(self.kernel_family(family, ref), name)
        conv = [self.kernel_view(a) if self.is_array(a) else a for a in args]
        kw = {k: self.kernel_view(v) if self.is_array(v) else v for k, v in kwargs.items()}
        with self.kernel_context(ref):
            out = fn(*conv, **kw)
        if isinstance(out, tuple):
            return tuple(self._wrap(o) for o in out)
        return self._wrap(out)

    def needs_grad(self, *arrays) -> bool:
        """Whether autograd must see a computation on ``arrays`` (torch only).

        Parameters
        ----------
        *arrays : array
            The inputs of a computation.

        Returns
        -------
        bool
            True when grad mode is on and one of them requires grad.
        """
        return False

    def scalar(self, v):
        """One result of an unbatched call: a Python float on numpy, 0-d otherwise.

        Parameters
        ----------
        v : array
            A 0-d (or one-element) result.

        Returns
        -------
        float or array
            A Python float on numpy, ``v`` itself on the other backends.
        """
        return float(v) if self.is_numpy else v

    def _wrap(self, y):
        if isinstance(y, np.ndarray) or type(y).__module__.startswith("cupy"):
            return self.from_kernel(y)
        return y


def _compat_namespace(library: str, needs: str):
    """array-api-compat's namespace for ``library``, or the ImportError saying what to install."""
    try:
        return importlib.import_module(f"array_api_compat.{library}")
    except ImportError as exc:  # pragma: no cover - depends on the install
        name = "pytorch" if library == "torch" else library
        raise ImportError(f"the '{name}' backend needs {needs}") from exc


class NumPyBackend(Backend):
    """Backend for numpy arrays (CPU, numba kernels)."""

    backend_string = "numpy"
    is_numpy = True

    def _namespace(self):
        import array_api_compat.numpy as xp

        return xp

    def is_array(self, x) -> bool:
        return isinstance(x, np.ndarray)

    def to_numpy(self, x) -> np.ndarray:
        return np.asarray(x)

    def float_dtype_of(self, x):
        return x.dtype if x.dtype in (np.float32, np.float64) else np.float64

    def kernel_view(self, x):
        return np.ascontiguousarray(x)

    def from_kernel(self, y, like=None):
        return y


class PyTorchBackend(Backend):
    """Backend for torch tensors, CPU (numba kernels) and CUDA (CuPy kernels)."""

    backend_string = "pytorch"
    is_pytorch = True

    @property
    def torch(self):
        import torch

        return torch

    def _namespace(self):
        from .dist import install_hint

        return _compat_namespace("torch", f"PyTorch: {install_hint('torch')}")

    def is_array(self, x) -> bool:
        return array_api_compat.is_torch_array(x)

    def to_numpy(self, x) -> np.ndarray:
        return x.detach().cpu().numpy()

    def float_dtype_of(self, x):
        torch = self.torch
        return x.dtype if x.dtype in (torch.float32, torch.float64) else torch.float64

    def on_gpu(self, x) -> bool:
        return bool(getattr(x, "is_cuda", False))

    def kernel_view(self, x):
        x = x.detach()
        if not x.is_contiguous():
            x = x.contiguous()
        if x.is_cuda:
            import cupy

            return cupy.from_dlpack(x)
        return x.numpy()

    def from_kernel(self, y, like=None):
        torch = self.torch
        if isinstance(y, np.ndarray):
            return torch.from_numpy(y)
        return torch.from_dlpack(y)

    def kernel_context(self, x):
        if not self.on_gpu(x):
            return contextlib.nullcontext()
        return _torch_cuda_context(x)

    def needs_grad(self, *arrays) -> bool:
        torch = self.torch
        return torch.is_grad_enabled() and any(getattr(a, "requires_grad", False) for a in arrays)

    def call_kernel(self, family: str, name: str, ref, *args, **kwargs):
        # numba and CuPy calls cannot be traced by torch.compile: run them
        # eagerly (a graph break there, not a crash)
        return _eager(Backend.call_kernel)(self, family, name, ref, *args, **kwargs)


_EAGER: dict = {}


def _eager(fn):
    """``fn`` wrapped in ``torch.compiler.disable`` (built on first use: torch is lazy).

    The wrapper imports ``torch._dynamo``, about 0.8 s of a first call.  A process
    that has not imported it is not tracing anything (``torch.compile`` and
    ``torch.export`` import it before they trace), so there ``fn`` runs as it is.
    """
    if "torch._dynamo" not in sys.modules:
        return fn
    wrapped = _EAGER.get(fn)
    if wrapped is None:
        import torch

        wrapped = _EAGER[fn] = torch.compiler.disable(fn)
    return wrapped


@contextlib.contextmanager
def _torch_cuda_context(x):
    """Run CuPy kernels on ``x``'s device and on torch's current stream there."""
    import cupy
    import torch

    index = x.device.index if x.device.index is not None else torch.cuda.current_device()
    stream = torch.cuda.current_stream(index)
    with cupy.cuda.Device(index):
        with cupy.cuda.ExternalStream(stream.cuda_stream, index):
            yield


class CuPyBackend(Backend):
    """Backend for CuPy arrays (GPU, CuPy RawKernels on the current stream)."""

    backend_string = "cupy"
    is_cupy = True

    def _namespace(self):
        return _compat_namespace(
            "cupy", "CuPy: pip install 'tsalign-metrics[cuda12]' or 'tsalign-metrics[cuda13]'"
        )

    def is_array(self, x) -> bool:
        return array_api_compat.is_cupy_array(x)

    def to_numpy(self, x) -> np.ndarray:
        return x.get()

    def float_dtype_of(self, x):
        return x.dtype if x.dtype in (np.float32, np.float64) else np.dtype(np.float64)

    def on_gpu(self, x) -> bool:
        return True

    def kernel_view(self, x):
        import cupy

        return cupy.ascontiguousarray(x)

    def from_kernel(self, y, like=None):
        return y

    def kernel_context(self, x):
        return x.device


_BY_NAME = {
    "numpy": NumPyBackend,
    "pytorch": PyTorchBackend,
    "torch": PyTorchBackend,
    "cupy": CuPyBackend,
}
_INSTANCES: dict[type, Backend] = {}
_TYPE_CACHE: dict[type, type | None] = {}


def _get(cls: type) -> Backend:
    be = _INSTANCES.get(cls)
    if be is None:
        be = _INSTANCES[cls] = cls()
    return be


def _backend_class_of_type(tp: type) -> type | None:
    """The backend class for arrays of type ``tp`` (None: not an array we know)."""
    if tp in _TYPE_CACHE:
        return _TYPE_CACHE[tp]
    cls = None
    if issubclass(tp, np.ndarray):
        cls = NumPyBackend
    else:
        torch = sys.modules.get("torch")
        if torch is not None and issubclass(tp, torch.Tensor):
            cls = PyTorchBackend
        else:
            cupy = sys.modules.get("cupy")
            if cupy is not None and issubclass(tp, cupy.ndarray):
                cls = CuPyBackend
    if cls is not None:
        _TYPE_CACHE[tp] = cls
    return cls


def _select(data: Any) -> Backend:
    """``Backend(data)``: the backend for a name, a Backend, an array or None."""
    if data is None:
        return _get(NumPyBackend)
    if isinstance(data, Backend):
        return data
    if isinstance(data, str):
        cls = _BY_NAME.get(data.lower())
        if cls is None:
            raise ValueError(
                f"data: expected a backend name ('numpy', 'pytorch' (or 'torch'), 'cupy'), "
                f"an array or None, got {data!r}"
            )
        return _get(cls)
    return backend_of(data)


def instantiate_backend(*args: Any) -> Backend:
    """Select the backend from the arguments (tslearn's contract).

    Each argument is looked at in turn and the first that decides wins:

    - a :class:`Backend` instance is returned as is;
    - ``"numpy"``, ``"pytorch"`` (or ``"torch"``), ``"cupy"`` pick that backend;
    - a numpy array, a torch tensor or a cupy array picks its own library;
    - anything else (None, other strings, lists, numbers) is skipped.

    If nothing decides, the numpy backend is returned.

    Parameters
    ----------
    *args : object
        Backends, backend names, arrays or anything else, in order of priority.

    Returns
    -------
    Backend
        The backend chosen (one shared instance per backend class).

    Examples
    --------
    >>> import numpy as np
    >>> from tsalign.backend import instantiate_backend
    >>> instantiate_backend("numpy").backend_string
    'numpy'
    >>> instantiate_backend(np.array([0])).backend_string
    'numpy'
    >>> instantiate_backend(None, 1, "Hello, World!").backend_string
    'numpy'
    >>> be = instantiate_backend("numpy")
    >>> instantiate_backend(be) is be
    True
    >>> float(be.linalg.norm(be.array([[0, 1], [2, 3]], dtype=float)))
    3.7416...
    """
    for arg in args:
        if isinstance(arg, Backend):
            return arg
        if isinstance(arg, str):
            cls = _BY_NAME.get(arg.lower())
            if cls is not None:
                return _get(cls)
            continue
        cls = _backend_class_of_type(type(arg))
        if cls is not None:
            return _get(cls)
    return _get(NumPyBackend)


def backend_of(*arrays: Any, be: Any = None) -> Backend:
    """Backend for a metric call: ``be`` if given, else the arrays' library.

    Unlike :func:`instantiate_backend` this refuses arrays of two different
    libraries when ``be`` does not settle it (TypeError naming both), since
    one of them would have to be copied behind the user's back.

    Parameters
    ----------
    *arrays : array-like
        The inputs of the call (lists of arrays are looked into).
    be : Backend, {"numpy", "pytorch", "torch", "cupy"} or None
        An explicit choice; any other value is a ValueError.

    Returns
    -------
    Backend
        The backend of the call.

    Examples
    --------
    >>> import numpy as np
    >>> from tsalign.backend import backend_of
    >>> backend_of(np.zeros(3), [1.0, 2.0]).backend_string
    'numpy'
    >>> backend_of(np.zeros(3), be="numpy").backend_string
    'numpy'
    """
    if be is not None:
        explicit = instantiate_backend(be)
        if not isinstance(be, Backend) and not (isinstance(be, str) and be.lower() in _BY_NAME):
            raise ValueError(
                f"be: expected a Backend, 'numpy', 'pytorch' (or 'torch'), 'cupy' or None, "
                f"got {be!r}"
            )
        return explicit
    found: dict[type, str] = {}
    for a in _flatten_arrays(arrays):
        cls = _backend_class_of_type(type(a))
        if cls is not None and cls not in found:
            found[cls] = type(a).__module__ + "." + type(a).__name__
    if len(found) > 1:
        names = " and ".join(found.values())
        raise TypeError(
            f"inputs mix arrays of different libraries ({names}); convert them to one "
            "library or pass be= explicitly"
        )
    if found:
        return _get(next(iter(found)))
    return _get(NumPyBackend)


def _flatten_arrays(args):
    for a in args:
        if isinstance(a, (list, tuple)):
            # ragged datasets: look at the elements (a list of tensors is torch's)
            yield from _flatten_arrays(a)
        else:
            yield a


def select_backend(data=None):
    """The backend for ``data``: None or "numpy" -> numpy, "pytorch"/"torch" or a tensor -> torch.

    Also "cupy" or a cupy array -> cupy.  Unknown names are a ValueError.

    Parameters
    ----------
    data : None, str or array
        What to pick the backend for.

    Returns
    -------
    Backend
        The (shared) backend instance.
    """
    if isinstance(data, str) and data.lower() not in ("numpy", "pytorch", "torch", "cupy"):
        raise ValueError(f"unknown backend {data!r}: expected 'numpy', 'pytorch' or 'cupy'")
    return instantiate_backend(data)


def cast(data, array_type: str = "numpy"):
    """``data`` as a list (``array_type="list"``) or an array of a backend's library.

    Parameters
    ----------
    data : array-like
        The data to cast.
    array_type : {"list", "numpy", "pytorch", "torch", "cupy"}
        The wanted type.

    Returns
    -------
    list or array
        ``data`` unchanged when it already has that type.
    """
    if not isinstance(array_type, str):
        raise TypeError(f"array_type must be a string, got {array_type!r}")
    kind = array_type.lower()
    if kind == "torch":
        kind = "pytorch"
    if kind == "list":
        if isinstance(data, list):
            return data
        if hasattr(data, "tolist"):
            return data.tolist()
        return list(data)
    if kind not in ("numpy", "pytorch", "cupy"):
        raise ValueError(
            f"array_type must be 'list', 'numpy', 'pytorch' or 'cupy', got {array_type!r}"
        )
    be = select_backend(kind)
    if be.is_array(data):
        return data
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(data, torch.Tensor):
        data = data.detach().cpu().numpy()
    return be.xp.asarray(data)
