"""OpenGL renderer: GPU skinning, window and headless (EGL) paths."""
