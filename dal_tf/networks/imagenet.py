"""`--weights=imagenet`: the release's own TF-slim ImageNet checkpoints, downloaded once into the cache."""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import urllib.request

from dal_tf.utils.atomic_io import atomic_directory
from dal_tf.utils.errors import UserInputError

# The archives the release's README names.
ARCHIVES = {
    "mobilenet": "http://download.tensorflow.org/models/mobilenet_v1_2018_02_22/mobilenet_v1_1.0_224.tgz",
    "resnet50": "http://download.tensorflow.org/models/resnet_v1_50_2016_08_28.tar.gz",
}


def checkpoint_prefix(folder: str) -> str | None:
    """The checkpoint in an unpacked archive: a V2 prefix (X.ckpt beside X.ckpt.index) or a V1 file."""
    for root, _, files in sorted(os.walk(folder)):
        for name in sorted(files):
            if name.endswith(".ckpt.index"):
                return os.path.join(root, name[: -len(".index")])
            if name.endswith(".ckpt"):
                return os.path.join(root, name)
    return None


def imagenet_checkpoint(backbone: str, cache_dir: str, log=print) -> str:
    """The checkpoint prefix of `backbone`'s ImageNet archive under cache_dir/imagenet, downloading
    and unpacking it on first use. The unpacked folder appears at once (atomic_io.atomic_directory),
    so an interrupted download leaves nothing that a later run would take for the checkpoint."""
    url = ARCHIVES[backbone]
    archive = os.path.basename(url)
    folder = os.path.join(cache_dir, "imagenet", archive.removesuffix(".tgz").removesuffix(".tar.gz"))
    if os.path.isdir(folder):
        prefix = checkpoint_prefix(folder)
        if prefix:
            return prefix
    os.makedirs(os.path.dirname(folder), exist_ok=True)
    with (tempfile.TemporaryDirectory(dir=os.path.dirname(folder), prefix=".download-") as downloads,
          atomic_directory(folder) as out):
        log(f"downloading the ImageNet {backbone} checkpoint from {url}")
        local = os.path.join(downloads, archive)
        try:
            with urllib.request.urlopen(url, timeout=60) as response, open(local, "wb") as handle:
                shutil.copyfileobj(response, handle, length=1 << 20)
            log(f"downloaded {os.path.getsize(local) / 2**20:.1f} MiB; unpacking")
            with tarfile.open(local) as tar:
                tar.extractall(out, filter="data")
        except (OSError, tarfile.TarError) as error:
            raise UserInputError(f"--weights=imagenet: cannot download {url} ({type(error).__name__}: "
                                 f"{str(error).splitlines()[0] if str(error) else ''}); download it elsewhere, "
                                 "unpack it and pass --weights=PATH to its .ckpt prefix") from error
        if checkpoint_prefix(out) is None:
            raise UserInputError(f"--weights=imagenet: {url} holds no .ckpt checkpoint")
    return checkpoint_prefix(folder)
