from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

N_FEATURES: int

def text_features(
    texts: Sequence[str],
    cue_hashes: npt.NDArray[np.int64],
    cue_groups: npt.NDArray[np.int32],
) -> npt.NDArray[np.float32]: ...
