"""Image-folder sources: one sub-folder per class, every file decoded once.

The scan opens each file with Pillow and decodes it fully, so truncated or
corrupt files, non-images and formats the training pipeline cannot decode are
listed (with the reason) and left out before training starts.
"""

from __future__ import annotations

import os
import threading
from collections import Counter, OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from nnstudio.core.data.classes import check_classes
from nnstudio.core.data.config import DataConfig
from nnstudio.core.data.hashing import folder_listing, listing_sha256
from nnstudio.core.data.progress import TaskState
from nnstudio.core.data.report import Problem, ProblemLog

# extensions the pipeline decodes (tf.io.decode_image) and Pillow verifies
IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp"})
# Pillow format name -> accepted
DECODABLE_FORMATS = frozenset({"PNG", "JPEG", "GIF", "BMP", "WEBP"})
# image files we recognise but the pipeline cannot decode
OTHER_IMAGE_EXTENSIONS = frozenset(
    {
        ".tif", ".tiff", ".heic", ".heif", ".avif", ".ico", ".ppm", ".pgm", ".pbm", ".pnm",
        ".svg", ".jp2", ".j2k", ".psd", ".raw", ".cr2", ".nef", ".dng", ".jxl", ".tga",
        ".exr", ".hdr", ".dds", ".xcf", ".eps", ".pcx",
    }
)  # fmt: skip
GRAY_MODES = frozenset({"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"})
MAX_PIXELS = 64_000_000
CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}


@dataclass
class ImageScan:
    """What a scan found: usable files with labels, and what was skipped."""

    root: str
    listing_hash: str
    class_names: list[str]
    files: list[str]
    labels: np.ndarray
    sizes: Counter[tuple[int, int]] = field(default_factory=Counter)
    modes: Counter[str] = field(default_factory=Counter)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def counts(self) -> list[int]:
        return np.bincount(self.labels, minlength=len(self.class_names)).tolist()


_CACHE: OrderedDict[tuple[str, str, tuple[str, ...] | None], ImageScan] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 4


def clear_scan_cache() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()


_MAGICS = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF8", "GIF"),
    (b"BM", "BMP"),
)

#: how each Pillow mode is turned into the colour mode trained on
_ALPHA = frozenset({"RGBA", "LA", "PA", "La", "RGBa"})
_SIXTEEN = frozenset({"I;16", "I;16B", "I;16L", "I;16N", "I"})


def _conversion(source: str, target: str) -> str | None:
    """How images of Pillow mode ``source`` become ``target`` (None: as they are)."""
    how: list[str] = []
    if source in _SIXTEEN:
        how.append("16-bit values scaled to 8 bits")
    elif source == "F":
        how.append("floating-point values scaled to 8 bits")
    elif source == "P":
        how.append("palette colours expanded")
    elif source == "CMYK":
        how.append("CMYK converted to RGB")
    elif source == "1":
        how.append("black-and-white pixels read as 0 and 255")
    grey = source in GRAY_MODES
    if target == "grayscale" and not grey:
        how.append("colours converted to greyscale")
    if target in ("rgb", "rgba") and grey:
        how.append("grey copied into the red, green and blue channels")
    if source in _ALPHA and target != "rgba":
        how.append("alpha (transparency) dropped")
    if target == "rgba" and source not in _ALPHA:
        how.append("an opaque alpha channel added")
    return "; ".join(how) or None


def report_conversions(modes: Counter[str], target: str, log: ProblemLog) -> None:
    """One note per colour mode that is converted for training, saying how."""
    for source, n in sorted(modes.items()):
        how = _conversion(source, target)
        if how:
            log.info(
                "colour mode",
                f"{n} image(s) in Pillow mode {source} are converted to {target}: {how}",
            )


def _describe_non_image(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            head = fh.read(512)
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    if not head:
        return "the file is empty (0 bytes)"
    for magic, name in _MAGICS:
        if head.startswith(magic):
            return f"truncated or corrupt: it starts as a {name} image but cannot be decoded"
    try:
        head.decode("utf-8")
        if b"\x00" not in head:
            return "not an image: it holds text"
    except UnicodeDecodeError:
        pass
    return "not an image: its content is not in any known image format"


def check_image(path: str) -> tuple[bool, str, tuple[int, int], str]:
    """Decode ``path`` once. Returns ``(ok, reason, (height, width), mode)``."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            fmt = im.format or "unknown"
            width, height = im.size
            mode = im.mode
            if fmt not in DECODABLE_FORMATS:
                return False, f"{fmt} images are not supported: save it as PNG or JPEG", (0, 0), ""
            if width * height > MAX_PIXELS:
                return False, f"too large ({width}x{height} pixels)", (0, 0), ""
            if width == 0 or height == 0:
                return False, "the image has no pixels", (0, 0), ""
            if fmt == "BMP" and (mode == "P" or im.tile and im.tile[0][0] != "raw"):
                return (
                    False,
                    "palette or compressed BMP files are not supported: save it as PNG",
                    (0, 0),
                    "",
                )
            if fmt == "WEBP" and getattr(im, "is_animated", False):
                return False, "animated WebP is not supported", (0, 0), ""
            im.load()
    except UnidentifiedImageError:
        return False, _describe_non_image(path), (0, 0), ""
    except Image.DecompressionBombError:
        return False, "too large to decode safely", (0, 0), ""
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, MemoryError) as exc:
        text = str(exc) or type(exc).__name__
        return False, f"truncated or corrupt ({text})", (0, 0), ""
    return True, "", (height, width), mode


def scan_image_folder(
    root: str,
    state: TaskState,
    log: ProblemLog,
    class_names: list[str] | None = None,
    where: str = "",
    workers: int | None = None,
) -> ImageScan | None:
    """Scan ``root`` (sub-folders = classes). ``class_names`` given: a validation
    folder that must use the training classes. Results are cached per folder
    listing (names, sizes, mtimes), so a second scan of an unchanged folder is free."""
    prefix = f"{where}/" if where else ""
    dirs = _class_dirs(root, log, where)
    if dirs is None:
        return None
    listing = folder_listing(root)
    digest = listing_sha256(listing)
    key = (os.path.abspath(root), digest, tuple(class_names) if class_names else None)
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            _CACHE.move_to_end(key)
    if cached is not None:
        for p in cached.problems:
            log.add(p.severity, p.location, p.message)
        return cached

    local = ProblemLog()
    if class_names is None:
        names = dirs
        if not names:
            local.error(
                where or os.path.basename(os.path.normpath(root)) or root,
                "no class sub-folders: put the images of each class in a folder of its own "
                "(for example cats/ and dogs/)",
            )
            return _finish(local, log)
    else:
        names = list(class_names)
        for extra in sorted(set(dirs) - set(names)):
            local.error(
                f"{prefix}{extra}",
                f'the validation folder has a class "{extra}" that the training folder lacks',
            )
    candidates, skipped, hidden = _candidates(listing, {n: i for i, n in enumerate(names)})
    checked = _check_files(root, candidates, state, workers)
    skipped += checked.skipped
    for rel, reason in skipped:
        severity = "info" if reason.startswith(("not an image file", "not inside")) else "warning"
        local.add(severity, f"{prefix}{rel}", f"skipped: {reason}", group=f"skip:{severity}")
    if hidden:
        local.info(where or "folder", f"skipped {hidden} hidden file(s)")
    label_arr = np.asarray(checked.labels, dtype=np.int32)
    counts = np.bincount(label_arr, minlength=len(names)).tolist()
    _empty_classes(names, counts, checked.per_class_skipped, class_names is None, local, prefix)
    if class_names is None and not local.has_errors:
        check_classes(names, counts, local, where or "classes")
    scan = ImageScan(
        root=root,
        listing_hash=digest,
        class_names=names,
        files=checked.files,
        labels=label_arr,
        sizes=checked.sizes,
        modes=checked.modes,
        skipped=skipped,
        problems=local.problems(),
    )
    with _CACHE_LOCK:
        _CACHE[key] = scan
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return _finish(local, log, scan)


def _class_dirs(root: str, log: ProblemLog, where: str) -> list[str] | None:
    """The visible sub-folders of ``root``, by name; ``None`` (logged) when it cannot be listed."""
    if not os.path.isdir(root):
        log.error(
            where or root,
            "the folder does not exist" if not os.path.exists(root) else "not a folder",
        )
        return None
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError as exc:
        log.error(where or root, f"cannot list the folder: {exc.strerror or exc}")
        return None
    return [e.name for e in entries if e.is_dir() and not e.name.startswith(".")]


def _candidates(
    listing: list[tuple[str, int, int]], index: dict[str, int]
) -> tuple[list[tuple[str, int]], list[tuple[str, str]], int]:
    """The image files of known classes with their labels, the files skipped
    (with why) and the number of hidden files."""
    candidates: list[tuple[str, int]] = []
    skipped: list[tuple[str, str]] = []
    hidden = 0
    for rel, _size, _mtime in listing:
        parts = rel.split("/")
        if any(p.startswith(".") for p in parts):
            hidden += 1
            continue
        if len(parts) == 1:
            skipped.append((rel, "not inside a class folder"))
            continue
        if parts[0] not in index:
            continue
        ext = os.path.splitext(rel)[1].lower()
        if ext in IMAGE_EXTENSIONS:
            candidates.append((rel, index[parts[0]]))
        elif ext in OTHER_IMAGE_EXTENSIONS:
            skipped.append((rel, f"{ext} images are not supported: save them as PNG or JPEG"))
        else:
            skipped.append((rel, f"not an image file ({ext or 'no extension'})"))
    return candidates, skipped, hidden


@dataclass
class _Checked:
    """The files that open as images, with their labels, sizes and modes."""

    files: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    sizes: Counter[tuple[int, int]] = field(default_factory=Counter)
    modes: Counter[str] = field(default_factory=Counter)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    per_class_skipped: Counter[int] = field(default_factory=Counter)


def _check_files(
    root: str, candidates: list[tuple[str, int]], state: TaskState, workers: int | None
) -> _Checked:
    """Open every candidate (in threads, with progress) with :func:`check_image`."""
    out = _Checked()
    total = len(candidates)
    paths = [os.path.join(root, *rel.split("/")) for rel, _ in candidates]
    n_workers = workers or min(8, (os.cpu_count() or 2) + 2)
    state.report(0, total, force=True)
    pool = ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="nnstudio-scan")
    try:
        for done, ((rel, label), path, result) in enumerate(
            zip(candidates, paths, pool.map(check_image, paths), strict=True), start=1
        ):
            ok, reason, size, mode = result
            if ok:
                out.files.append(path)
                out.labels.append(label)
                out.sizes[size] += 1
                out.modes[mode] += 1
            else:
                out.skipped.append((rel, reason))
                out.per_class_skipped[label] += 1
            state.report(done, total)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return out


def _empty_classes(
    names: list[str],
    counts: list[int],
    per_class_skipped: Counter[int],
    training: bool,
    log: ProblemLog,
    prefix: str,
) -> None:
    """A training class without images is an error; a validation one a warning."""
    for i, name in enumerate(names):
        if counts[i] == 0:
            bad = per_class_skipped.get(i, 0)
            why = f" ({bad} file(s) skipped, see above)" if bad else ""
            if training:
                log.error(f"{prefix}{name}", f'class folder "{name}" has no usable images{why}')
            else:
                log.warning(
                    f"{prefix}{name}", f'the validation folder has no images of class "{name}"'
                )


def _finish(local: ProblemLog, log: ProblemLog, scan: ImageScan | None = None) -> ImageScan | None:
    for p in local.problems():
        log.add(p.severity, p.location, p.message)
    return scan


def resolve_image_options(
    scan: ImageScan, config: DataConfig, log: ProblemLog
) -> tuple[tuple[int, int], str]:
    """The image size and colour mode to train with: the chosen ones, or the
    most common size and the mode that fits every image."""
    if config.image_size is not None:
        size = (int(config.image_size[0]), int(config.image_size[1]))
    elif scan.sizes:
        size = scan.sizes.most_common(1)[0][0]
        if len(scan.sizes) > 1:
            shown = ", ".join(f"{h}x{w} ({n})" for (h, w), n in scan.sizes.most_common(4))
            log.info(
                "image size",
                f"the images come in {len(scan.sizes)} sizes ({shown}); all are resized to "
                f"{size[0]}x{size[1]} (height x width)",
            )
        if max(size) > 512:
            log.info(
                "image size",
                f"{size[0]}x{size[1]} pixels is large for training; choose a smaller size "
                "to train faster",
            )
    else:
        size = (64, 64)
    if config.color_mode is not None:
        mode = config.color_mode
    else:
        mode = "grayscale" if scan.modes and set(scan.modes) <= GRAY_MODES else "rgb"
    report_conversions(scan.modes, mode, log)
    return size, mode
