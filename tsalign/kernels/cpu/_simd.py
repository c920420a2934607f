"""A small SIMD vector type for numba kernels: ``G`` lanes of a float, in registers.

Why not plain loops: a lane loop ``for l in range(G)`` in numba is fully unrolled
by LLVM and then left scalar, because the SLP vectoriser cannot prove that the
stores of one lane do not alias the loads of the next (numba's arrays carry no
``noalias``); with a runtime trip count the loop vectoriser versions it with alias
checks on every trip and keeps the loop-carried value (a DTW row's left
neighbour) in memory, through store-to-load forwarding.  Measured on this
machine: 0.36 G cells/s, no better than the scalar kernel.

So the lane groups are written with explicit vectors: :class:`Vec` is an LLVM
``<G x float>`` value (a register, or ``G / width`` of them), and the functions
here are ``@intrinsic`` one-liners (vector load/store from a C-contiguous array at
an element offset, broadcast, add, sub, mul, min as ``a < b ? a : b``, a select
by an integer band range, float32 -> float64).  Each lowers to one LLVM vector
instruction, which the x86 backend emits as ``vaddpd``/``vminpd``/... on ``ymm``
or ``zmm`` registers (LLVM splits a 16-lane float64 vector into two zmm or four
ymm ops; on CPUs that LLVM tunes as "prefer 256-bit", such as this machine's,
it picks ymm), and arm64 as NEON.  No fast-math flag is set, so every lane
rounds exactly as the scalar code does.
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.extending import intrinsic, models, overload, register_model

from ._jit import njit, njit_inline
from ._lanes import group_size


class Vec(types.Type):
    """``count`` lanes of ``dtype`` (float32 or float64) in one LLVM vector."""

    def __init__(self, dtype, count):
        self.dtype = dtype
        self.count = count
        super().__init__(name=f"Vec({dtype}x{count})")


@register_model(Vec)
class _VecModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        elem = dmm.lookup(fe_type.dtype).get_value_type()
        super().__init__(dmm, fe_type, ir.VectorType(elem, fe_type.count))


def _vec_llvm(context, vt):
    return context.get_value_type(vt)


def _element_ptr(context, builder, aryty, ary, off):
    a = context.make_array(aryty)(context, builder, ary)
    return builder.gep(a.data, [off])


def _vec_of(arr):
    return Vec(arr.dtype, group_size(str(arr.dtype)))


def lanes(arr):
    """The lane count of ``arr``'s dtype (a compile-time constant in numba)."""
    return group_size(str(arr.dtype))


@overload(lanes, inline="always")
def _lanes_impl(arr):
    g = group_size(str(arr.dtype))

    def impl(arr):
        return g

    return impl


@intrinsic
def vload(typingctx, arr, off):
    """The lanes of ``arr``'s dtype from element ``off`` of its flat data on (the
    array must be C-contiguous)."""
    vt = _vec_of(arr)
    sig = vt(arr, types.intp)

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ptr = _element_ptr(context, builder, aryty, args[0], args[1])
        vptr = builder.bitcast(ptr, _vec_llvm(context, vt).as_pointer())
        return builder.load(vptr, align=context.get_abi_sizeof(ptr.type.pointee))

    return sig, codegen


@intrinsic
def vstore(typingctx, arr, off, v):
    """Store vector ``v`` into ``arr``'s flat data from element ``off`` on, rounded
    (or widened) to the array's dtype."""
    if not isinstance(v, Vec):
        return None
    sig = types.void(arr, types.intp, v)

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ptr = _element_ptr(context, builder, aryty, args[0], args[1])
        target = Vec(aryty.dtype, v.count)
        val = args[2]
        if aryty.dtype != v.dtype:
            tl = _vec_llvm(context, target)
            if aryty.dtype.bitwidth < v.dtype.bitwidth:
                val = builder.fptrunc(val, tl)
            else:
                val = builder.fpext(val, tl)
        vptr = builder.bitcast(ptr, _vec_llvm(context, target).as_pointer())
        builder.store(val, vptr, align=context.get_abi_sizeof(ptr.type.pointee))
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def vsplat(typingctx, like, x):
    """A vector of ``like``'s type with every lane ``x``."""
    if not isinstance(like, Vec):
        return None
    sig = like(like, like.dtype)

    def codegen(context, builder, signature, args):
        vl = _vec_llvm(context, like)
        undef = ir.Constant(vl, ir.Undefined)
        one = builder.insert_element(undef, args[1], ir.Constant(ir.IntType(32), 0))
        mask = ir.Constant(ir.VectorType(ir.IntType(32), like.count), [0] * like.count)
        return builder.shuffle_vector(one, undef, mask)

    return sig, codegen


def _binary(emit):
    """An intrinsic on two vectors of one type: ``emit(builder, a, b)``, one instruction."""

    @intrinsic
    def fn(typingctx, a, b):
        if not (isinstance(a, Vec) and a == b):
            return None
        sig = a(a, b)

        def codegen(context, builder, signature, args):
            return emit(builder, args[0], args[1])

        return sig, codegen

    return fn


def _select_less(builder, a, b):
    """Lane-wise ``a if a < b else b`` (x86 ``vminp*`` exactly)."""
    return builder.select(builder.fcmp_ordered("<", a, b), a, b)


vadd = _binary(ir.IRBuilder.fadd)
vsub = _binary(ir.IRBuilder.fsub)
vmul = _binary(ir.IRBuilder.fmul)
vmin = _binary(_select_less)


@intrinsic
def vwiden(typingctx, a):
    """float32 lanes as float64 (exact); float64 lanes unchanged."""
    if not isinstance(a, Vec):
        return None
    out = Vec(types.float64, a.count)
    sig = out(a)

    def codegen(context, builder, signature, args):
        if a.dtype == types.float64:
            return args[0]
        return builder.fpext(args[0], _vec_llvm(context, out))

    return sig, codegen


@intrinsic
def vinside(typingctx, v, fill, lo, hi, off, j):
    """Lane l: ``v[l]`` where ``lo[off + l] <= j < hi[off + l]``, else ``fill[l]``
    (lo, hi: C-contiguous int64 arrays)."""
    if not (isinstance(v, Vec) and v == fill):
        return None
    sig = v(v, fill, lo, hi, types.intp, types.intp)

    def codegen(context, builder, signature, args):
        it = ir.VectorType(ir.IntType(64), v.count)
        bounds = []
        for k in (2, 3):
            ptr = _element_ptr(context, builder, signature.args[k], args[k], args[4])
            bounds.append(builder.load(builder.bitcast(ptr, it.as_pointer()), align=8))
        undef = ir.Constant(it, ir.Undefined)
        jv = builder.insert_element(undef, args[5], ir.Constant(ir.IntType(32), 0))
        zeros = ir.Constant(ir.VectorType(ir.IntType(32), v.count), [0] * v.count)
        jv = builder.shuffle_vector(jv, undef, zeros)
        ok = builder.and_(
            builder.icmp_signed("<=", bounds[0], jv), builder.icmp_signed("<", jv, bounds[1])
        )
        return builder.select(ok, args[0], args[1])

    return sig, codegen


@njit_inline
def to_lane(src, n, dst, l):
    """``dst[i, f, l] = src[i, f]`` for rows ``i < n``: one series into lane ``l`` of
    a lane-major (rows, d, G) array."""
    for i in range(n):
        for f in range(src.shape[1]):
            dst[i, f, l] = src[i, f]


@njit_inline
def gather_lanes(X, idx, lengths, n, xs, si, sf, reverse):
    """Lane-major copy of a group's series (G = len(idx) lanes): element
    ``(i, f)`` of lane l's series ``X[idx[l]]`` at ``xs[f sf + r si + l]``, r = i
    (or n - 1 - i with ``reverse``), for rows ``i < n``; 0 past each lane's
    length (NaN padding never reaches a cell; the kernels mask those cells)."""
    G = idx.shape[0]
    d = X.shape[2]
    for l in range(G):
        xa = X[idx[l]]
        nl = lengths[l]
        for i in range(n):
            r = n - 1 - i if reverse else i
            for f in range(d):
                xs[f * sf + r * si + l] = xa[i, f] if i < nl else 0.0


@njit
def scatter_lanes(acc, l, G, sf, n, length, reverse, scale, out):
    """``out[i, f] = scale * acc[f sf + r G + l]`` (r as in :func:`gather_lanes`)
    for ``i < length``, 0 past it: lane l of a lane-major array back into one
    series' (rows, d) array."""
    d = out.shape[1]
    for i in range(out.shape[0]):
        r = n - 1 - i if reverse else i
        for f in range(d):
            out[i, f] = scale * acc[f * sf + r * G + l] if i < length else 0.0
