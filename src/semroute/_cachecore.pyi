import numpy as np
import numpy.typing as npt

def pick_candidate(
    slots: npt.NDArray[np.int64],
    sims: npt.NDArray[np.float32],
    alive: npt.NDArray[np.uint8],
    expires: npt.NDArray[np.float64],
    ns_ids: npt.NDArray[np.int32],
    ns_id: int,
    now: float,
    min_sim: float,
) -> tuple[int, int]: ...
def best_row(
    matrix: npt.NDArray[np.float32],
    vector: npt.NDArray[np.float32],
    slots: npt.NDArray[np.int64],
    alive: npt.NDArray[np.uint8],
    expires: npt.NDArray[np.float64],
    ns_ids: npt.NDArray[np.int32],
    ns_id: int,
    now: float,
    min_sim: float,
) -> tuple[int, float, int]: ...
def lru_victims(
    stamps: npt.NDArray[np.int64], alive: npt.NDArray[np.uint8], count: int
) -> npt.NDArray[np.int64]: ...
def rank_candidates(
    slots: npt.NDArray[np.int64],
    sims: npt.NDArray[np.float32],
    alive: npt.NDArray[np.uint8],
    expires: npt.NDArray[np.float64],
    ns_ids: npt.NDArray[np.int32],
    ns_id: int,
    now: float,
    min_sim: float,
) -> tuple[npt.NDArray[np.int64], int]: ...
def rank_rows(
    matrix: npt.NDArray[np.float32],
    vector: npt.NDArray[np.float32],
    slots: npt.NDArray[np.int64],
    alive: npt.NDArray[np.uint8],
    expires: npt.NDArray[np.float64],
    ns_ids: npt.NDArray[np.int32],
    ns_id: int,
    now: float,
    min_sim: float,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32], int]: ...
