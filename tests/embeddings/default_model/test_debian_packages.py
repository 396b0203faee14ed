"""Debian package indexes: descriptions, sections and debtags joined per description."""

from __future__ import annotations

import pytest

from world2vec.embeddings.default_model.debian_packages import load_packages, split_description
from world2vec.embeddings.default_model.distill_corpus import extra_vocabulary

PACKAGES = """Package: foo
Source: foo-src (1.0)
Section: utils
Tag: role::program, use::converting,
 works-with::text

Package: foo-data
Source: foo-src
Section: misc
Tag: role::app-data

Package: bar
Section: games
"""

TRANSLATION = """Package: foo
Description-md5: aaa
Description-en: convert text files
 Foo converts text files between encodings.
 .
 It is fast.

Package: foo-data
Description-md5: aaa
Description-en: convert text files
 Foo converts text files between encodings.
 .
 It is fast.

Package: bar
Description-md5: bbb
Description-en: a game without a long description
"""


def test_descriptions_are_joined_with_sections_and_tags(tmp_path):
    (tmp_path / "x_main_binary-amd64_Packages").write_text(PACKAGES)
    (tmp_path / "x_main_i18n_Translation-en").write_text(TRANSLATION)
    packages = load_packages(str(tmp_path))
    assert len(packages) == 1                      # one per description; bar has no long one
    foo = packages[0]
    assert (foo.name, foo.source, foo.section) == ("foo", "foo-src", "utils")
    assert foo.short == "convert text files"
    assert foo.long == "Foo converts text files between encodings.\nIt is fast."
    assert foo.tags == {"role::program", "use::converting", "works-with::text", "role::app-data"}


def test_split_description_keeps_paragraphs():
    short, long = split_description("title\n one\n two\n .\n three")
    assert short == "title" and long == "one two\nthree"


def test_extra_vocabulary_adds_frequent_unknown_tokens_only():
    texts = ["json parser for json files 42"] * 9 + ["rare json"]
    extra = extra_vocabulary(texts, str.split, lambda w: w == "files", min_count=8)
    assert [w for w, _ in extra] == ["json", "for", "parser"]


def test_missing_long_descriptions_name_the_apt_command(tmp_path):
    (tmp_path / "x_main_binary-amd64_Packages").write_text(PACKAGES)
    with pytest.raises(FileNotFoundError, match="Acquire::Languages=en"):
        load_packages(str(tmp_path))
