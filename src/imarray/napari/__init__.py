"""The napari plugin (npe2): napari opens what imarray reads and saves layers through ``ia.write``.

``pip install 'imarray[napari]'`` brings napari and a Qt binding; napari finds
the plugin through the ``napari.manifest`` entry point, whose manifest is
``napari.yaml`` in this package. Its parts, one module each:

- :mod:`~imarray.napari.reader`: ``get_reader`` claims a path only when
  imarray's registry resolves it (files of every format, folders of slices,
  size-capped series, ``.bin`` + sidecar, Zarr and OME-Zarr stores).
- :mod:`~imarray.napari.layers`: an :class:`~imarray.image.Image` as napari
  layer data (scale, translate, axis labels, channels, Labels, RGB) and a
  layer back as an Image.
- :mod:`~imarray.napari.writer`: Image and Labels layers to every format that
  holds them, with ``save``'s refusals.
- :mod:`~imarray.napari.sample`: the demo's uint32 label stack.

Nothing here imports napari: ``import imarray`` and these modules stay light,
and napari calls the functions with plain data.
"""
