"""The one compiled module: the IATI activity walk (pipelines/sources/iati/activity.pyx).

Everything else is declared in pyproject.toml. The module reads lxml's C tree
through the C API that lxml ships (`lxml.get_include()`), so it is built against
the lxml version pinned in pyproject.toml's [build-system] (the same as uv.lock's).
"""

import lxml
from Cython.Build import cythonize
from setuptools import Extension, setup

setup(
    ext_modules=cythonize(
        [Extension("pipelines.sources.iati.activity", ["pipelines/sources/iati/activity.pyx"],
                   include_dirs=lxml.get_include())],
        compiler_directives={"language_level": 3},
    )
)
