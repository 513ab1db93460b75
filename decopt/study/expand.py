"""Grid expansion: one study (or group) table to its list of runs."""

from __future__ import annotations

import dataclasses
import inspect
import itertools
import string

from .. import algorithms as algs
from .. import problems as probs
from ..options import OPTIONS
from .schema import (ALGORITHM_KEYS, BUDGETS, EXTRA_OPTIONS, METRICS, PLACEHOLDERS, STUDY_KEYS,
                     TOPOLOGY_KEYS, RunSpec, _Checker, _NAME_OK, _per_node, _suggest,
                     grid_shape, nondefault_options, parse_step_size, run_name)

def _build_topology(spec: str):
    """``(graph, n)`` of a topology spec, parsed once: a networkx graph (or a list, one
    period), a :class:`decopt.dynamic.RandomTopology` for ``random:``/``pairwise:``
    specs, or None for the federated pseudo-topology ``server:n`` (no graph: the
    mixing is resolved from the string, which checks that the method has a server)."""
    import topologies as tp
    from ..dynamic import from_spec as dynamic_spec, is_dynamic_spec
    from ..mixing import SERVER_PREFIX, resolve
    if spec.startswith(SERVER_PREFIX):
        return None, resolve(spec, "server").n
    if is_dynamic_spec(spec):
        g = dynamic_spec(spec)
        return g, g.n
    G = tp.from_spec(spec)
    return G, (G[0] if isinstance(G, list) else G).number_of_nodes()


def _axis(ck: _Checker, name: str, value, where: str) -> list:
    """A run option of a study table as a grid axis: ``[(value as written, checked
    value), ...]``; a TOML array gives one run per element (e.g. ``link_failure = [0.0,
    0.1]``), any other value one."""
    if isinstance(value, list):
        if not value:
            raise ck.err(where, "must not be an empty list")
        return [(v, ck.option(name, v, f"{where}[{i}]")) for i, v in enumerate(value)]
    return [(value, ck.option(name, value, where))]


def _combos(axes: dict):
    """Every combination of the option axes: ``(checked values, values as written)``."""
    names = list(axes)
    for combo in itertools.product(*(axes[k] for k in names)):
        yield ({k: c for k, (_, c) in zip(names, combo)},
               {k: r for k, (r, _) in zip(names, combo)})


def _expand(ck: _Checker, eff: dict, gname, gw: str):
    """Runs of one (group of a) study."""
    st = ck.table(ck.required(eff, "study", f"{gw}the top level"), f"{gw}[study]")
    ck.keys(st, STUDY_KEYS, f"{gw}[study]")
    w = f"{gw}[study]"
    steps = ck.int(ck.required(st, "steps", w), f"{w} steps", 1)
    log_every = ck.int(st.get("log_every", max(1, steps // 100)), f"{w} log_every", 1)
    metric = ck.str(st.get("metric", "grad_norm"), f"{w} metric", METRICS)
    seeds = ck.list_of(st.get("seeds", [0]), f"{w} seeds", lambda v, ww: ck.int(v, ww, 0))
    if len(set(seeds)) != len(seeds):
        raise ck.err(f"{w} seeds", f"has repeated seeds: {seeds}")
    batched = ck.bool(st.get("batch_seeds", False), f"{w} batch_seeds")
    noise = ck.number(st.get("noise", 0.0), f"{w} noise")
    batch_size = st.get("batch_size")
    if batch_size is not None:
        batch_size = ck.int(batch_size, f"{w} batch_size", 1)
    budget = ck.str(st.get("budget", "iterations"), f"{w} budget", BUDGETS)
    ckpt = ck.int(st.get("checkpoint_every", max(1, steps // 10)), f"{w} checkpoint_every",
                  1)
    divergence = ck.option("divergence", st.get("divergence", 1e8), f"{w} divergence")
    extra = {k: _axis(ck, k, st[k], f"{w} {k}") for k in EXTRA_OPTIONS
             if OPTIONS[k].toml == "study" and k in st}

    # ----------------------------------------------------------------- problem
    pt = ck.table(ck.required(eff, "problem", f"{gw}the top level"), f"{gw}[problem]")
    w = f"{gw}[problem]"
    pname = ck.str(ck.required(pt, "name", w), f"{w} name")
    if ":" in pname:             # an import path "package.module:factory"
        try:
            factory = probs.factory_of(pname)
        except ValueError as e:
            raise ck.err(f"{w} name", str(e)) from None
    elif pname not in probs.PROBLEMS:
        raise ck.err(f"{w} name", f"= {pname!r}: unknown problem"
                                  f"{_suggest(pname, sorted(probs.PROBLEMS))}")
    else:
        factory = probs.PROBLEMS[pname]
    valid = [p for p in inspect.signature(factory).parameters if p != "n"]
    pparams = {k: v for k, v in pt.items() if k != "name"}
    if "n" in pparams:
        raise ck.err("", f"{w} cannot set 'n': the number of nodes comes from the topology "
                         f"axis ([topology] n)")
    ck.keys(pparams, ["name"] + valid, w)
    data_seed = pparams.get("seed", 0)
    seed_dependent = data_seed == "{seed}"
    if not seed_dependent:
        ck.int(data_seed, f"{w} seed", 0)

    # ---------------------------------------------------------------- topology
    tt = ck.table(ck.required(eff, "topology", f"{gw}the top level"), f"{gw}[topology]")
    w = f"{gw}[topology]"
    ck.keys(tt, TOPOLOGY_KEYS, w)
    specs = ck.list_of(ck.required(tt, "spec", w), f"{w} spec",
                       lambda v, ww: ck.str(v, ww))
    ns = tt.get("n")
    ns = None if ns is None else ck.list_of(ns, f"{w} n", lambda v, ww: ck.int(v, ww, 1))
    weights = ck.str(tt.get("weights", "uniform"), f"{w} weights", ("uniform", "random"))
    extra.update({k: _axis(ck, k, tt[k], f"{w} {k}") for k in EXTRA_OPTIONS
                  if OPTIONS[k].toml == "topology" and k in tt})
    weight_seed = ck.int(tt.get("weight_seed", 0), f"{w} weight_seed", 0)
    for s in specs:
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(s) if f}
        except ValueError as e:   # e.g. "Single '{' encountered in format string"
            raise ck.err(f"{w} spec", f"{s!r} is not a valid template: {e}; placeholders "
                                      f"look like {{n}}") from None
        bad = fields - set(PLACEHOLDERS)
        if bad:
            b = sorted(bad)[0]
            raise ck.err(f"{w} spec", f"{s!r} uses an unknown placeholder {{{b}}}"
                                      f"{_suggest(b, PLACEHOLDERS)}")
        if fields & {"n", "rows", "cols"} and ns is None:
            raise ck.err("", f"{w} spec {s!r} uses {{n}}; give the node counts as "
                             f"[topology] n = [...]")
        if "seed" in fields:
            seed_dependent = True
    if batched and seed_dependent:
        raise ck.err("", f"{gw}[study] batch_seeds = true runs all seeds on one graph and "
                         f"one data set, but the problem or topology depends on {{seed}}")

    # -------------------------------------------------------------- algorithms
    alist = ck.list_of(ck.required(eff, "algorithm", f"{gw}the top level"),
                       f"{gw}[[algorithm]]", lambda v, ww: ck.table(v, ww),
                       allow_scalar=False)
    adecl = []
    for i, a in enumerate(alist, 1):
        w = f"{gw}[[algorithm]] #{i}"
        ck.keys(a, ALGORITHM_KEYS, w)
        aname = ck.str(ck.required(a, "name", w), f"{w} name")
        try:
            algs.lookup(aname)
        except ValueError as e:
            if ":" in aname:
                raise ck.err(f"{w} name", str(e)) from None
            raise ck.err(f"{w} name", f"= {aname!r}: unknown algorithm"
                                      f"{_suggest(aname, algs.names())} (registered: "
                                      f"{', '.join(algs.names())}; or mg_<name>, an import "
                                      f"path 'package.module:Class', or a name registered "
                                      f"with decopt.register_algorithm)") from None
        w = f"{gw}[[algorithm]] {aname!r}"
        steps_sz = ck.list_of(ck.required(a, "step_size", w), f"{w} step_size",
                              lambda v, ww: (v, parse_step_size(v, None, f"{ck.source}: "
                                                                          f"{ww}")))
        rounds = ck.list_of(a.get("rounds", 1), f"{w} rounds", lambda v, ww: ck.int(v, ww, 1))
        options = ck.table(a.get("options", {}), f"{w} options")
        aextra = {k: _axis(ck, k, a[k], f"{w} {k}") for k in EXTRA_OPTIONS
                  if OPTIONS[k].toml == "algorithm" and k in a}
        try:   # the one build from the name; each run copies it with its step size
            proto = algs.make(aname, 1.0, **options)
        except (ValueError, TypeError) as e:
            raise ck.err(f"{w} options", str(e)) from None
        if aname.startswith("mg_") and min(rounds) < 2:
            raise ck.err(f"{w} rounds", f"{aname} is multi-step gossip: give rounds >= 2")
        label = ck.str(a.get("label", aname.rpartition(":")[2]), f"{w} label")
        if not _NAME_OK.match(label):
            raise ck.err(f"{w} label", f"= {label!r} must be a plain name: letters, digits and "
                                       f"_ . + = -, not only dots")
        adecl.append((aname, label, [s for s, _ in steps_sz], rounds, options, proto,
                      aextra))

    # ------------------------------------------------------------------ expand
    runs = []
    seed_groups = [seeds] if batched else [[s] for s in seeds]
    graphs: dict = {}
    for template in specs:
        for n in (ns if any(f in template for f in ("{n}", "{rows}", "{cols}")) else [None]):
            for sg in seed_groups:
                fill = {"seed": sg[0]}
                if n is not None:
                    fill["n"] = n
                    fill["rows"], fill["cols"] = grid_shape(n)
                spec = template.format(**fill)
                if spec not in graphs:   # the one parse of the spec; runs share the graph
                    try:
                        graphs[spec] = _build_topology(spec)
                    except (ValueError, TypeError) as e:
                        raise ck.err(f"{gw}[topology] spec", str(e)) from None
                G, nn = graphs[spec]
                params = {k: _per_node(v, nn, f"{ck.source}: {gw}[problem] {k}")
                          for k, v in pparams.items()}
                params["n"] = nn
                params["seed"] = sg[0] if data_seed == "{seed}" else data_seed
                for aname, label, sizes, rounds_l, options, proto, aextra in adecl:
                    for sz in sizes:
                        alpha = parse_step_size(sz, nn)
                        for R, (xval, xraw) in itertools.product(
                                rounds_l, _combos({**extra, **aextra})):
                            # rounds one iteration costs, under a round budget; a server
                            # method (mixings = 0) counts one round per iteration (one
                            # upload and download of the participating clients)
                            c = max(1, R * type(proto).mixings) if budget == "rounds" \
                                else 1
                            it = steps // c
                            if it < 1:
                                raise ck.err("", f"{gw}[study] steps = {steps} with budget "
                                                 f"'rounds' leaves no iteration for "
                                                 f"{aname} with R = {R} ({c} rounds per "
                                                 f"iteration)")
                            le, ce = max(1, log_every // c), max(1, ckpt // c)
                            name = run_name(label, alpha, R, options, spec, sg, batched,
                                            prefix=gname, extra={
                                                k: xraw[k] for k in
                                                nondefault_options(xval)})
                            runs.append(RunSpec(
                                name=name, group=gname, algorithm=aname, label=label,
                                options=dict(options), step_size=alpha,
                                step_size_expr=str(sz), rounds=R, problem=pname,
                                problem_params=params, topology=spec,
                                topology_template=template, n=nn, seeds=list(sg),
                                batched=batched, steps=it, log_every=le, noise=noise,
                                batch_size=batch_size, weights=weights,
                                weight_seed=weight_seed, divergence=divergence,
                                checkpoint_every=ce, metric=metric,
                                extra=xval,
                                built=dataclasses.replace(proto, alpha=alpha), graph=G))
    return runs, metric, (steps, ckpt, budget)


