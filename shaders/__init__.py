"""The GLSL sources, installed as the package data of ``posetalk.shaders`` (read by
``posetalk.render.shaders``)."""
