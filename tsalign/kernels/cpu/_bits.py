"""Bit casts between a float and the integer of its width, as numba intrinsics."""

from __future__ import annotations

from numba.extending import intrinsic


def bitcast(src, dst):
    """An intrinsic that reads the bits of a ``src`` value as a ``dst`` (numba types
    of one width, such as float32 and int32): one LLVM ``bitcast``, no conversion."""

    @intrinsic
    def cast(typingctx, x):
        sig = dst(src)

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], context.get_value_type(dst))

        return sig, codegen

    return cast
