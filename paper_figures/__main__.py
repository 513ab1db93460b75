"""``python -m paper_figures [NAME ...] [--quick] [--resume] [--results DIR] [--out DIR]``."""

from __future__ import annotations

import argparse
import sys
import time

from . import FIGURES, figure_module
from .common import DEFAULT_OUT, DEFAULT_RESULTS, build, results_root, verdict


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m paper_figures",
        description="Regenerate the paper figures (PDF, PNG and a claim report per figure) "
                    "from result files, running the missing studies in experiments/ first.")
    p.add_argument("names", nargs="*", metavar="NAME",
                   help=f"figures to build (default: all): {', '.join(FIGURES)}")
    p.add_argument("--quick", action="store_true",
                   help="use each study's [quick] variant (small, for CI); results go to "
                        "RESULTS/quick/ so quick and full results never mix")
    p.add_argument("--results", metavar="DIR", default=str(DEFAULT_RESULTS),
                   help="results root (default: ./results)")
    p.add_argument("--out", metavar="DIR", default=str(DEFAULT_OUT),
                   help="where figures and reports go: DIR/quick/ or DIR/full/ "
                        "(default: paper_figures/out)")
    p.add_argument("--overwrite", action="store_true",
                   help="run the studies again, replacing their results")
    p.add_argument("--resume", action="store_true",
                   help="continue interrupted runs from their checkpoints (finished runs "
                        "are always skipped)")
    p.add_argument("--no-progress", dest="progress", action="store_false",
                   help="no progress bars")
    p.add_argument("--list", action="store_true", help="list the figures and exit")
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    if args.list:
        for name in FIGURES:
            m = figure_module(name)
            print(f"{name:<22} {m.REFERENCE}: {m.TITLE}")
        return 0
    try:
        modules = [figure_module(n) for n in (args.names or FIGURES)]
        import matplotlib
        matplotlib.use("Agg")
        t0 = time.time()
        built = []
        for m in modules:
            print(f"== {m.NAME} ({'quick' if args.quick else 'full'}; results in "
                  f"{results_root(args.results, args.quick)})", flush=True)
            b = build(m, quick=args.quick, results=args.results, out=args.out,
                      progress=args.progress, overwrite=args.overwrite,
                      resume=args.resume)
            built.append(b)
            print(f"   {verdict(b.supported)}: {b.summary}")
            print(f"   wrote {', '.join(str(f) for f in b.files)} ({b.seconds:.1f}s)",
                  flush=True)
    except (ValueError, TypeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:
        print(f"interrupted: {getattr(e, 'message', '') or 'stopped'}", file=sys.stderr)
        return 130
    ok = sum(b.supported for b in built)
    print(f"{len(built)} figure(s) in {time.time() - t0:.1f}s: {ok} claim(s) supported, "
          f"{len(built) - ok} not supported")
    return 0


if __name__ == "__main__":
    sys.exit(main())
