"""Ways of running a model (torch, ONNX Runtime) behind one interface (:mod:`posetalk.backends.base`)."""
