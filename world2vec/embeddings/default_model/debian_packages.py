"""Debian package descriptions: training text for the distilled encoder, and a test set.

Why Debian descriptions: they are free text that anyone can rebuild offline from an
apt cache (``apt-get update -o Acquire::Languages=en`` fetches the long
descriptions), they cover the technical vocabulary a dictionary lacks (compilers,
daemons, file formats), and every package carries labels written independently of
its description (its archive ``Section`` and its debtags ``Tag`` field), so pairs of
descriptions can be scored for relatedness without any human judgement collected
for us.

The split between training and evaluation is by description (a stable CRC32 of its
md5), so no held-out description, nor its short form, is ever training text.
"""

from __future__ import annotations

import glob
import os
import subprocess
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

APT_LISTS = "/var/lib/apt/lists"


@dataclass
class Package:
    name: str
    short: str                     # the one-line synopsis
    long: str                      # the long description, paragraphs joined by newlines
    md5: str = ""
    section: str = ""
    source: str = ""               # the source package (shared by a library's splits)
    tags: frozenset[str] = field(default_factory=frozenset)


def is_held_out_description(md5: str, percent: float = 5.0) -> bool:
    """Whether a description belongs to the evaluation split (stable across runs)."""
    return (zlib.crc32(md5.encode("utf-8")) % 10000) < percent * 100


def iter_stanzas(lines: Iterable[str]) -> Iterator[dict[str, str]]:
    """deb822 stanzas as field -> value (continuation lines kept, joined by newlines)."""
    stanza: dict[str, str] = {}
    key = None
    for raw in lines:
        line = raw.rstrip("\n")
        if not line.strip():
            if stanza:
                yield stanza
            stanza, key = {}, None
        elif line[0] in " \t" and key is not None:
            stanza[key] += "\n" + line[1:]
        elif ":" in line:
            key, _, value = line.partition(":")
            stanza[key] = value.strip()
    if stanza:
        yield stanza


def split_description(value: str) -> tuple[str, str]:
    """A ``Description`` value -> (synopsis, long text); " ." lines become paragraph breaks."""
    first, _, rest = value.partition("\n")
    paragraphs: list[list[str]] = [[]]
    for line in rest.split("\n"):
        if line.strip() == ".":
            paragraphs.append([])
        elif line.strip():
            paragraphs[-1].append(line.strip())
    return first.strip(), "\n".join(" ".join(p) for p in paragraphs if p)


def _read_list_file(path: str) -> Iterator[str]:
    """Lines of an apt list file, decompressed with apt's own helper when needed."""
    if path.endswith((".lz4", ".gz", ".xz", ".zst")):
        out = subprocess.run(["/usr/lib/apt/apt-helper", "cat-file", path], check=True,
                             capture_output=True, text=True, errors="replace").stdout
        yield from out.splitlines()
    else:
        with open(path, encoding="utf-8", errors="replace") as f:
            yield from f


def load_packages(lists_dir: str = APT_LISTS) -> list[Package]:
    """Every package with an English long description, one per distinct description.

    Long descriptions come from ``*_i18n_Translation-en*``; sections and debtags from
    ``*_Packages*``. Packages sharing one description (``-data``, ``-common`` splits)
    are kept once, with the union of their tags.
    """
    meta: dict[str, tuple[str, str, set[str]]] = {}
    for path in sorted(glob.glob(os.path.join(lists_dir, "*_Packages*"))):
        for st in iter_stanzas(_read_list_file(path)):
            tags = {t.strip() for t in st.get("Tag", "").replace("\n", " ").split(",") if t.strip()}
            name = st.get("Package", "")
            source = st.get("Source", name).split(" ")[0]
            meta[name] = (st.get("Section", ""), source, tags)
    by_md5: dict[str, Package] = {}
    translations = sorted(glob.glob(os.path.join(lists_dir, "*_i18n_Translation-en*")))
    if not translations:
        raise FileNotFoundError(f"no Translation-en index in {lists_dir}: run "
                                "apt-get update -o Acquire::Languages=en")
    for path in translations:
        for st in iter_stanzas(_read_list_file(path)):
            name, md5 = st.get("Package", ""), st.get("Description-md5", "")
            short, long = split_description(st.get("Description-en", ""))
            if not name or not long:
                continue
            section, source, tags = meta.get(name, ("", name, set()))
            known = by_md5.get(md5)
            if known is None:
                by_md5[md5] = Package(name, short, long, md5, section, source, frozenset(tags))
            else:
                known.tags = known.tags | frozenset(tags)
                known.section = known.section or section
    return list(by_md5.values())
