"""One module per format, each a leaf implementing the small protocol of :mod:`imarray.protocol`.

A format is a module here (or in a plugin package) plus a row of
:mod:`imarray.registry` that names it and declares what it can do. Modules
import core modules and :mod:`imarray.image`, never :mod:`imarray.api` or an
engine (:mod:`imarray.lazy`, :mod:`imarray.streaming`).
"""
