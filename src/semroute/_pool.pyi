import numpy as np
import numpy.typing as npt

def mean_pool_normalize(
    hidden: npt.NDArray[np.float32], mask: npt.NDArray[np.int64]
) -> npt.NDArray[np.float32]: ...
