"""The documentation pages keep to the project's rules: the theory page covers every
built-in algorithm with an arXiv citation, and no page cites a file outside the
repository (the design notes' ALGORITHMS.md)."""

import re
from pathlib import Path

import decopt

DOCS = Path(__file__).resolve().parents[2] / "docs"


def pages():
    return {p: p.read_text() for p in DOCS.rglob("*.rst") if "_build" not in p.parts
            and "generated" not in p.parts}


def test_theory_page_has_every_algorithm_with_its_reference():
    text = (DOCS / "theory.rst").read_text()
    for name, cls in decopt.algorithms.ALGORITHMS.items():
        assert f"``{name}``" in text, name
        for ref in re.findall(r"arXiv:\d{4}\.\d{4,5}", cls.reference):
            assert ref in text, (name, ref)
    # and the references list gives each cited arXiv number once with its title
    cited = set(re.findall(r"arXiv:(\d{4}\.\d{4,5})", text))
    listed = set(re.findall(r"^\* arXiv:(\d{4}\.\d{4,5}) ", text, flags=re.M))
    assert cited <= listed, sorted(cited - listed)


def test_no_page_cites_files_outside_the_repository():
    found = {p.name for p, t in pages().items() if "ALGORITHMS.md" in t or "DESIGN.md" in t}
    assert not found, found


def test_every_page_is_in_a_toctree():
    text = "".join(pages().values())
    for p in pages():
        rel = p.relative_to(DOCS).with_suffix("").as_posix()
        if rel == "index":
            continue
        leaf = rel.split("/")[-1]
        assert re.search(rf"^\s+({re.escape(rel)}|{re.escape(leaf)})\s*$", text, re.M), rel
