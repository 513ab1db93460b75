"""The documentation pages keep to the project's rules: the theory page covers every
built-in algorithm with an arXiv citation, and no page cites a file outside the
repository (the design notes kept beside the project, not in it)."""

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
    found = {p.name for p, t in pages().items() if any(name in t for name in OUTSIDE)}
    assert not found, found


# Files that live outside the repository (the team's design notes): no source, test,
# experiment or page may cite them. Spelled in pieces so this file does not match itself.
OUTSIDE = ("ALGORITHMS" + ".md", "DESIGN" + ".md")
ROOT = DOCS.parent


def files_citing_outside(root):
    found = []
    for sub in ("decopt", "topologies", "tests", "experiments", "paper_figures",
                "benchmarks", "docs"):
        for p in sorted((root / sub).rglob("*")):
            if (p.suffix not in (".py", ".toml", ".rst", ".md", ".cfg") or "_build" in p.parts
                    or "generated" in p.parts or not p.is_file()):
                continue
            text = p.read_text(errors="replace")
            if any(name in text for name in OUTSIDE):
                found.append(p.relative_to(root).as_posix())
    for top in ("README.md", "BENCHMARKS.md", "setup.cfg"):
        if (root / top).is_file() and any(n in (root / top).read_text() for n in OUTSIDE):
            found.append(top)
    return found


def test_no_source_file_cites_files_outside_the_repository():
    found = files_citing_outside(ROOT)
    assert not found, found


def test_outside_citation_check_can_fail(tmp_path):
    """Negative control: a package file citing the design notes is reported."""
    (tmp_path / "decopt").mkdir()
    (tmp_path / "decopt" / "bad.py").write_text('"""See ' + OUTSIDE[0] + ' section 2."""\n')
    assert files_citing_outside(tmp_path) == ["decopt/bad.py"]


def test_every_page_is_in_a_toctree():
    text = "".join(pages().values())
    for p in pages():
        rel = p.relative_to(DOCS).with_suffix("").as_posix()
        if rel == "index":
            continue
        leaf = rel.split("/")[-1]
        assert re.search(rf"^\s+({re.escape(rel)}|{re.escape(leaf)})\s*$", text, re.M), rel
