import numpy as np
import numpy.typing as npt

def bm25_scores(
    term_ids: npt.NDArray[np.int32],
    doc_bounds: npt.NDArray[np.int64],
    query_terms: npt.NDArray[np.int32],
    n_terms: int,
    k1: float,
    b: float,
) -> npt.NDArray[np.float32]: ...
def select_units(
    scores: npt.NDArray[np.float32],
    costs: npt.NDArray[np.int32],
    forced: npt.NDArray[np.uint8],
    budget: int,
) -> npt.NDArray[np.uint8]: ...
def drop_tokens(
    term_ids: npt.NDArray[np.int32],
    n_terms: int,
    costs: npt.NDArray[np.int32],
    weights: npt.NDArray[np.float32],
    droppable: npt.NDArray[np.uint8],
    stop_terms: npt.NDArray[np.uint8],
    stop_factor: float,
    to_drop: int,
) -> npt.NDArray[np.uint8]: ...
def find_all(
    text: npt.NDArray[np.uint32], needle: npt.NDArray[np.uint32]
) -> npt.NDArray[np.int64]: ...
