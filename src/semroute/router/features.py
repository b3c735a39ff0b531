"""The router's lexical/structural features, computed by the native kernel."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from semroute import _routefeat
from semroute.router.features_ref import FEATURE_NAMES, cue_table

__all__ = ["FEATURE_NAMES", "route_features"]

_CUE_HASHES, _CUE_GROUPS = cue_table()


def route_features(texts: Sequence[str]) -> npt.NDArray[np.float32]:
    """Raw (unstandardised) feature rows, one per text, columns :data:`FEATURE_NAMES`.

    >>> route_features(["Prove that 2 + 2 = 4."]).shape
    (1, 23)
    """
    return _routefeat.text_features(texts, _CUE_HASHES, _CUE_GROUPS)
