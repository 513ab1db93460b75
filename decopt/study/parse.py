"""Reading and validating a study file: TOML to a :class:`~decopt.study.schema.Study`."""

from __future__ import annotations

import tomllib
from pathlib import Path

from .expand import _expand
from .schema import (GROUP_KEYS, QUICK_KEYS, STUDY_KEYS, TOP_KEYS, RunSpec, Study, _Checker,
                     _merge, _NAME_OK)

def load_study(path, quick: bool = False) -> Study:
    """Read and validate a study file; returns the expanded :class:`Study`.

    Raises ValueError/TypeError (naming the file and the key) on any mistake.
    """
    path = Path(path)
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        raise ValueError(f"study file {str(path)!r} does not exist") from None
    except OSError as e:
        raise ValueError(f"cannot read study file {str(path)!r}: {e.strerror}") from None
    try:
        doc = tomllib.loads(text.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a UTF-8 text file") from None
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{path}: invalid TOML: {e}") from None
    return parse_study(doc, source=str(path), quick=quick, default_name=path.stem,
                       path=path)


def parse_study(doc: dict, source: str = "<study>", quick: bool = False,
                default_name: str = "study", path=None) -> Study:
    """Validate and expand a study given as a dict (the parsed TOML)."""
    ck = _Checker(source)
    ck.table(doc, "")
    ck.keys(doc, TOP_KEYS, "the top level")
    base = dict(doc)
    quick_tab = base.pop("quick", None)
    groups = base.pop("group", None)
    if quick_tab is not None:
        ck.table(quick_tab, "[quick]")
        ck.keys(quick_tab, QUICK_KEYS, "[quick]")
        if quick:
            base = _merge(base, quick_tab)
    study_tab = ck.table(ck.required(base, "study", "the top level"), "[study]")
    ck.keys(study_tab, STUDY_KEYS, "[study]")
    name = study_tab.get("name", default_name)
    ck.str(name, "[study] name")
    if not _NAME_OK.match(name):
        raise ck.err("[study] name", f"= {name!r} must be a plain name: letters, digits and "
                                     f"_ . + = -, not only dots")
    if len(name) > 100:
        raise ck.err("[study] name", f"is {len(name)} characters long; a study name is a "
                                     f"directory name of at most 100 characters")
    description = ck.str(study_tab.get("description", ""), "[study] description")
    max_runs = study_tab.get("max_runs")
    if max_runs is not None and (isinstance(max_runs, bool) or not isinstance(max_runs, int)
                                 or max_runs < 1):
        raise ck.err("[study] max_runs", f"= {max_runs!r} must be a positive integer")

    if groups is None:
        parts = [(None, base, "")]
    else:
        groups = ck.list_of(groups, "[[group]]", lambda v, w: ck.table(v, w),
                            allow_scalar=False)
        parts = []
        for i, g in enumerate(groups, 1):
            gw = f"[[group]] #{i}"
            ck.keys(g, GROUP_KEYS, gw)
            gname = g.get("name")
            if gname is not None:
                ck.str(gname, f"{gw} name")
                if not _NAME_OK.match(gname):
                    raise ck.err(f"{gw} name", f"= {gname!r} must contain only letters, "
                                               f"digits and _ . + = -")
                gw = f"[[group]] {gname!r}"
            g = dict(g)
            gq = g.pop("quick", None)
            g.pop("name", None)
            if gq is not None:
                ck.table(gq, f"{gw} quick")
                ck.keys(gq, QUICK_KEYS, f"{gw} quick")
                if quick:
                    g = _merge(g, gq)
            for k in ("study",):
                if k in g:
                    ck.table(g[k], f"{gw} {k}")
                    for bad in ("name", "description"):
                        if bad in g[k]:
                            raise ck.err("", f"{gw} study cannot set {bad!r} (it belongs "
                                             f"to the top-level [study])")
            parts.append((gname, _merge(base, g), gw + " "))

    runs: list[RunSpec] = []
    metrics = set()
    first = None
    for gname, eff, prefix in parts:
        rs, metric, info = _expand(ck, eff, gname, prefix)
        runs += rs
        metrics.add(metric)
        first = first or info
    if len(metrics) > 1:
        raise ck.err("", f"the groups report different metrics {sorted(metrics)}; use one "
                         f"[study] metric")
    seen = {}
    for r in runs:
        if r.name in seen:
            raise ck.err("", f"two runs would both be named {r.name!r}; give the groups "
                             f"distinct names ([[group]] name = ...) or remove the duplicate")
        seen[r.name] = r
    return Study(name=name, path=Path(path) if path else None, description=description,
                 metric=metrics.pop(), runs=runs, quick=quick, steps=first[0],
                 checkpoint_every=first[1], budget=first[2], max_runs=max_runs)


