"""The browser viewer's built files (``static/``), installed as the package data of
``posetalk.viewer`` and served by ``posetalk serve``."""
