"""Export a loaded DiffPoseTalk to ONNX and read it back as a model bundle.

A bundle is a folder of three ONNX graphs (the audio encoder with its feature map, the memory
encoding of a window's audio, one denoiser step on that memory) beside ``manifest.json`` and
``arrays.npz`` (the learned embeddings and the diffusion schedule); see ``docs/export.md``.
:mod:`posetalk.export.bundle` writes and verifies bundles, :mod:`posetalk.export.graphs` says
what each graph computes, :mod:`posetalk.export.check` compares them with PyTorch.
"""
