"""WordNet and GCIDE readers, triples and the dictionary corpus on tiny hand-written fixtures."""

from __future__ import annotations

import gzip

import pytest

from world2vec.embeddings.default_model.dictionary_corpus import CorpusWriter, write_gcide, write_wordnet
from world2vec.embeddings.default_model.gcide import iter_entries, parse_entry
from world2vec.embeddings.default_model.knowledge_graph import wordnet_triples, write_triples
from world2vec.embeddings.default_model.wordnet import WordNetFormatError, load_wordnet, parse_line

HEADER = "  1 This software and database is being provided to you, the LICENSEE  \n"
NOUNS = HEADER + (
    "00000100 05 n 01 animal 0 001 ~ 00000200 n 0000 | a living organism  \n"
    "00000200 05 n 02 cat 0 true_cat 0 003 @ 00000100 n 0000 #p 00000400 n 0000 "
    "+ 00000500 v 0101 | feline mammal usually having thick soft fur; \"the cat purred\"  \n"
    "00000300 05 n 01 dog 0 001 @ 00000100 n 0000 | a domesticated canine; \"the dog barked\"  \n"
    "00000400 05 n 01 household 0 000 | people living in one house  \n"
)
VERBS = HEADER + "00000500 29 v 01 purr 0 001 + 00000200 n 0102 01 + 02 00 | make a soft sound  \n"
ADJS = HEADER + (
    "00000600 00 a 01 soft(a) 0 001 ! 00000700 a 0101 | yielding to pressure  \n"
    "00000700 00 s 01 hard(p) 0 001 ! 00000600 a 0101 | resisting pressure  \n"
)


@pytest.fixture
def wordnet_dir(tmp_path):
    d = tmp_path / "wordnet"
    d.mkdir()
    (d / "data.noun").write_text(NOUNS)
    (d / "data.verb").write_text(VERBS)
    (d / "data.adj").write_text(ADJS)
    (d / "data.adv").write_text(HEADER)
    return str(d)


CAT_ENTRY = (
    "Cat \\Cat\\ (k[a^]t), n. [AS. cat; akin to Icel. k[\"o]ttr.\n"
    "   Cf. {Kitten}.]\n"
    "   1. (Zool.) Any animal of the family {Felidae}.\n"
    "      [1913 Webster]\n\n"
    "         The cat sat on the mat. --Anon.\n"
    "   [1913 Webster]\n\n"
    "   2. A strong tackle used to draw an anchor.\n"
    "      [1913 Webster]\n\n"
    "   Note: Cats are often kept as pets.\n"
    "         [1913 Webster]\n\n"
    "   {Cat nap}, a very short sleep. [Colloq.]\n"
)
PURR_ENTRY = "Purr \\Purr\\, v. i.\n   To make the low sound of a contented cat.\n   [1913 Webster]\n"


def write_dictd(tmp_path, entries: dict[str, str]) -> str:
    b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

    def enc(n: int) -> str:
        out = ""
        while True:
            out = b64[n % 64] + out
            n //= 64
            if not n:
                return out

    data, index, offset = b"", [], 0
    for name, text in entries.items():
        raw = text.encode("utf-8")
        index.append(f"{name}\t{enc(offset)}\t{enc(len(raw))}\n")
        data += raw
        offset += len(raw)
    index.append(f"cat_alias\t{enc(0)}\t{enc(len(entries['cat'].encode()))}\n")  # same chunk
    (tmp_path / "tiny.index").write_text("".join(index))
    with gzip.open(tmp_path / "tiny.dict.dz", "wb") as f:
        f.write(data)
    return str(tmp_path / "tiny.dict.dz")


def test_wordnet_synsets_lemmas_glosses_and_pointers(wordnet_dir):
    synsets = load_wordnet(wordnet_dir)
    cat = synsets[("n", 200)]
    assert cat.lemmas == ["cat", "true_cat"]
    assert cat.definition == "feline mammal usually having thick soft fur"
    assert cat.examples == ["the cat purred"]
    relations = {(p.relation, p.target) for p in cat.pointers}
    assert ("hypernym", ("n", 100)) in relations and ("part_holonym", ("n", 400)) in relations
    # adjective satellites fold into "a", and syntactic markers such as "(a)" are dropped
    assert synsets[("a", 700)].lemmas == ["hard"] and synsets[("a", 600)].lemmas == ["soft"]


def test_malformed_wordnet_line_is_a_clear_error():
    with pytest.raises(WordNetFormatError, match="malformed"):
        parse_line("00000100 05 n zz cat | oops")


def test_triples_link_lemmas_one_direction_and_synonyms(wordnet_dir):
    triples = set(wordnet_triples(load_wordnet(wordnet_dir)))
    assert ("cat", "hypernym", "animal") in triples
    assert ("true_cat", "hypernym", "animal") in triples
    assert ("cat", "synonym", "true_cat") in triples
    assert ("soft", "antonym", "hard") in triples
    assert ("purr", "derivation", "true_cat") in triples        # lexical pointer: word 1 -> 2
    assert not any(r == "hyponym" for _, r, _ in triples)       # inverse kept out (walks go both ways)
    kept = set(wordnet_triples(load_wordnet(wordnet_dir), keep=lambda w: w != "animal"))
    assert not any("animal" in (h, t) for h, _, t in kept)


def test_gcide_entry_markup_is_stripped_and_senses_split(tmp_path):
    entry = parse_entry(CAT_ENTRY)
    assert entry.headword == "cat"
    assert entry.definitions == ["(Zool.) Any animal of the family Felidae.",
                                 "A strong tackle used to draw an anchor."]
    assert entry.notes == ["Cats are often kept as pets."]
    assert entry.phrases == [("cat_nap", "a very short sleep.")]
    assert entry.quotes == ["The cat sat on the mat."]          # citation "--Anon." dropped
    assert not any("Webster" in d or "[" in d or "sat on the mat" in d for d in entry.definitions)


def test_gcide_reads_dictd_files_and_each_chunk_once(tmp_path):
    path = write_dictd(tmp_path, {"cat": CAT_ENTRY, "purr": PURR_ENTRY})
    entries = list(iter_entries(path))
    assert [e.headword for e in entries] == ["cat", "purr"]
    assert entries[1].definitions == ["To make the low sound of a contented cat."]


def test_missing_dictd_file_names_the_package(tmp_path):
    with pytest.raises(FileNotFoundError, match="dict-gcide"):
        list(iter_entries(str(tmp_path / "nope.dict.dz")))


def test_corpus_prefixes_headwords_and_leaves_held_out_words_out(tmp_path, wordnet_dir):
    path = write_dictd(tmp_path, {"cat": CAT_ENTRY, "purr": PURR_ENTRY})
    out = tmp_path / "corpus.txt"
    with CorpusWriter(str(out), held_out_percent=0) as writer:
        write_wordnet(writer, load_wordnet(wordnet_dir).values())
        write_gcide(writer, path)
    lines = out.read_text().splitlines()
    assert "cat true_cat : feline mammal usually having thick soft fur" in lines
    assert "the cat purred" in lines
    assert "purr : To make the low sound of a contented cat." in lines
    assert "cat_nap : a very short sleep." in lines
    assert "The cat sat on the mat." in lines
    # with every headword held out, no definition line names its headword
    with CorpusWriter(str(tmp_path / "held.txt"), held_out_percent=100) as writer:
        write_wordnet(writer, load_wordnet(wordnet_dir).values())
    held = (tmp_path / "held.txt").read_text().splitlines()
    assert writer.summary.held_out_definitions == 7
    assert not any(" : " in line for line in held) and "the dog barked" in held


def test_write_triples_is_the_graph_file_format(tmp_path, wordnet_dir):
    path = tmp_path / "g.tsv"
    n = write_triples(str(path), wordnet_triples(load_wordnet(wordnet_dir)))
    rows = [line.split("\t") for line in path.read_text().splitlines()]
    assert len(rows) == n > 0 and all(len(r) == 3 for r in rows)


def test_relation_pairs_come_from_wordnet_pointers(wordnet_dir):
    from world2vec.embeddings.default_model.relation_pairs import antonym_pairs, capital_pairs

    synsets = load_wordnet(wordnet_dir)
    assert antonym_pairs(synsets) == [("hard", "soft"), ("soft", "hard")]
    assert capital_pairs(synsets) == []          # no national capitals in the fixture
