"""Backends: ``local`` (in-process, :class:`decopt.backends.local.LocalNetwork`) and ``mpi``
(:mod:`decopt.backends.mpi`, imported only when used so that decopt works without MPI).
Both pack the arrays of one mixing call with :mod:`decopt.backends.packing`."""
