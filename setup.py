"""Build the Cython native core; all metadata lives in pyproject.toml.

Every ``csrc/<name>.pyx`` becomes the extension module ``semroute.<name>``.
The ONNX encoder in ``models/`` is installed as the package ``semroute.models``
so a wheel runs from site-packages with no network and no hub cache.
"""

from pathlib import Path

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, find_packages, setup

HERE = Path(__file__).parent

extensions = [
    Extension(
        f"semroute.{pyx.stem}",
        [f"csrc/{pyx.name}"],
        include_dirs=[np.get_include(), "csrc"],
        # -O3 but never -march=native: wheels must run on other CPUs.
        extra_compile_args=["-O3"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    )
    for pyx in sorted((HERE / "csrc").glob("*.pyx"))
]

setup(
    package_dir={"": "src", "semroute.models": "models"},
    # Every folder under src/semroute is a subpackage (one per capability).
    packages=[*find_packages("src"), "semroute.models"],
    package_data={
        "semroute": ["py.typed", "*.pyi"],
        # The trimmed LiteLLM price table the ledger prices calls with.
        "semroute.ledger": ["prices.json"],
        "semroute.models": ["*.onnx", "*.json", "MANIFEST", "*.npz", "*.npy"],
    },
    exclude_package_data={"semroute.models": ["*.py"]},
    ext_modules=cythonize(
        extensions,
        compiler_directives={"language_level": "3", "embedsignature": True},
        include_path=["csrc"],
    ),
    zip_safe=False,
)
