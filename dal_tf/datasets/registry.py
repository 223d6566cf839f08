"""Maps `--dataset` names to loaders. A loader takes a DataConfig and a log function (for what it
did with the data: rendered, skipped, held out) and returns a ReidDataset."""

from __future__ import annotations

from typing import Callable

from dal_tf.config import DataConfig
from dal_tf.datasets.base import ReidDataset
from dal_tf.utils.errors import UserInputError

Loader = Callable[[DataConfig, Callable[[str], None]], ReidDataset]
_LOADERS: dict[str, Loader] = {}


def register(name: str):
    def decorator(loader: Loader) -> Loader:
        if name in _LOADERS:
            raise ValueError(f"data set {name!r} registered twice")
        _LOADERS[name] = loader
        return loader

    return decorator


def load(config: DataConfig, log=print) -> ReidDataset:
    _import_builtin_loaders()
    if config.dataset not in _LOADERS:
        raise UserInputError(f"--dataset={config.dataset!r} is unknown; expected one of {', '.join(sorted(_LOADERS))}")
    return _LOADERS[config.dataset](config, log)


def _import_builtin_loaders():
    # Imported lazily so that registering a loader never needs the whole package.
    from dal_tf.datasets import folders, ilids, mars, prid, synthetic  # noqa: F401
