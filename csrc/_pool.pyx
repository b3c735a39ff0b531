# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Mean pooling over the attention mask and L2 normalisation, fused.

The encoder returns token states ``(n, t, d)``; a sentence vector is their mean
over the real (unmasked) tokens, scaled to unit length. numpy needs a masked
product, a sum, a division, a norm and a second division, each a pass with a
temporary; this does one pass per row with no temporaries, GIL released.
The plain-numpy twin is ``semroute.encoder.pool_ref.mean_pool_normalize``.
"""

import numpy as np
cimport numpy as cnp
from libc.math cimport sqrt, isfinite, NAN

cnp.import_array()


def mean_pool_normalize(const float[:, :, ::1] hidden not None,
                        const cnp.int64_t[:, ::1] mask not None):
    """Mean of ``hidden[i, j]`` over ``mask[i, j] != 0``, L2-normalised; float32 ``(n, d)``.

    A row with no unmasked token, or whose mean is all zeros, stays zero; a row
    containing NaN or inf comes back as NaN so the caller can reject it.
    """
    cdef Py_ssize_t n = hidden.shape[0], t = hidden.shape[1], d = hidden.shape[2]
    if mask.shape[0] != n or mask.shape[1] != t:
        raise ValueError(f"mask shape {(mask.shape[0], mask.shape[1])} does not match hidden {(n, t)}")
    out_arr = np.zeros((n, d), dtype=np.float32)
    cdef float[:, ::1] out = out_arr
    cdef Py_ssize_t i, j, k
    cdef double count, norm, inv
    # count only tells whether the row has any real token.
    with nogil:
        for i in range(n):
            count = 0.0
            for j in range(t):
                if mask[i, j] != 0:
                    count += 1.0
                    for k in range(d):
                        out[i, k] += hidden[i, j, k]
            if count == 0.0:
                continue
            norm = 0.0
            for k in range(d):
                norm += <double>out[i, k] * <double>out[i, k]
            if not isfinite(norm):
                for k in range(d):
                    out[i, k] = NAN
                continue
            if norm == 0.0:
                continue
            # The mean's 1/count cancels in normalisation: divide by the norm only.
            inv = 1.0 / sqrt(norm)
            for k in range(d):
                out[i, k] = <float>(out[i, k] * inv)
    return out_arr
