"""Put each package's descriptor and CSVs beside its page so the download links work.

A stand-in until the export stage writes every format (and checksums) itself.
"""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath

from pipeline.model import Catalog
from pipeline.pages.views import package_url


def copy_package_files(catalog: Catalog, site_dir: Path) -> None:
    for package in catalog.packages.values():
        target = site_dir / package_url(package.name)
        target.mkdir(parents=True, exist_ok=True)
        if package.root is not None:
            shutil.copyfile(package.root / "datapackage.json", target / "datapackage.json")
        for resource in package.resources.values():
            if resource.path is None:
                continue
            declared = PurePosixPath(str(resource.descriptor.get("path", "")))
            # load refuses unsafe paths already; this keeps a copy from ever leaving the site
            if declared.is_absolute() or ".." in declared.parts or not declared.parts:
                raise ValueError(f"unsafe resource path {declared} in {package.name}")
            destination = target.joinpath(*declared.parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(resource.path, destination)
