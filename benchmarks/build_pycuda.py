"""Build pycuda from its source tree in place, compiling on every core.

Used by ``benchmarks/gpu_pycuda_check.sh`` on GPU machines that have nvcc but no pycuda
wheel (pycuda ships only as source). Run it inside the unpacked pycuda source folder.
distutils compiles one file at a time; this patches its compile loop onto a thread pool.
"""

from __future__ import annotations

import os
import runpy
import sys
from concurrent.futures import ThreadPoolExecutor

import setuptools  # noqa: F401  (installs its distutils)
from setuptools._distutils import ccompiler


def _parallel_compile(self, sources, output_dir=None, macros=None, include_dirs=None, debug=False,
                      extra_preargs=None, extra_postargs=None, depends=None):  # fmt: skip
    macros, objects, extra_postargs, pp_opts, build = self._setup_compile(
        output_dir, macros, include_dirs, sources, depends, extra_postargs
    )
    cc_args = self._get_cc_args(pp_opts, debug, extra_preargs)

    def compile_one(obj: str) -> None:
        src, ext = build[obj]
        self._compile(obj, src, ext, cc_args, extra_postargs, pp_opts)

    with ThreadPoolExecutor(os.cpu_count()) as pool:
        list(pool.map(compile_one, objects))
    return objects


if __name__ == "__main__":
    ccompiler.CCompiler.compile = _parallel_compile
    sys.path.insert(0, os.getcwd())  # setup.py imports its own aksetup_helper
    sys.argv = ["setup.py", "build_ext", "--inplace"]
    runpy.run_path("setup.py", run_name="__main__")
