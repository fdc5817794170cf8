"""Converters to and from other toolkits that keep pixels shared and geometry in the right order.

- :mod:`imarray.interop.sitk`: SimpleITK (``Image.to_sitk`` / ``Image.from_sitk``);
- :mod:`imarray.interop.itk`: itk-python (``Image.to_itk`` / ``Image.from_itk``);
- :mod:`imarray.interop.xarray`: xarray (``Image.to_xarray`` / ``Image.from_xarray``).

Toolkits list sizes, spacing and origin as (x, y, z); an :class:`~imarray.Image`
lists them in numpy order (z, y, x). These modules do the reversal in one place
(:mod:`imarray.interop._toolkit`), so it is never done twice or forgotten.
SimpleITK comes with ``pip install 'imarray[medical]'``, ITK with ``pip install 'imarray[itk]'``, xarray with
``pip install 'imarray[xarray]'``.
"""
