"""Choosing the backend: ``local``, ``mpi`` or ``auto`` (MPI when launched by mpiexec with
more than one process), and the MPI communicator every entry point uses."""

from __future__ import annotations

import os

__all__ = ["BACKENDS", "make_network", "mpi_world_size", "default_comm"]

BACKENDS = ("local", "mpi", "auto")


def mpi_world_size() -> int:
    """Number of processes of the MPI job this process belongs to (1 when not launched by
    mpiexec), read from the launcher's environment without importing mpi4py."""
    for var in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS"):
        if var in os.environ:
            try:
                return int(os.environ[var])
            except ValueError:
                pass
    return 1


def default_comm(backend: str = "auto"):
    """``MPI.COMM_WORLD`` when this process is one of several MPI processes and the
    backend is not ``local``, else None (no mpi4py import)."""
    if backend == "local" or mpi_world_size() <= 1:
        return None
    from mpi4py import MPI
    return MPI.COMM_WORLD


def make_network(backend, mixing, rounds, comm=None, **network_options):
    """The network for a backend ("local", "mpi", or "auto": mpi when launched by mpiexec
    with more than one process); ``network_options`` (``participation``, ``seeds``, ...)
    go to the network's constructor, the same for both backends."""
    if getattr(mixing, "generator", None) is not None:   # random time-varying topology
        network_options["generator"] = mixing.generator
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "auto":
        backend = "mpi" if mpi_world_size() > 1 else "local"
    if backend == "local":
        from .local import LocalNetwork
        return LocalNetwork(row=mixing.row, col=mixing.col, rounds=rounds, n=mixing.n,
                            **network_options)
    from .mpi import MPINetwork
    return MPINetwork(mixing.n, row=mixing.row, col=mixing.col, rounds=rounds, comm=comm,
                      **network_options)
