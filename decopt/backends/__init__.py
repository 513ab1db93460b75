"""Backends: ``local`` (in-process, :class:`decopt.network.LocalNetwork`) and ``mpi``
(:mod:`decopt.backends.mpi`, imported only when used so that decopt works without MPI)."""
