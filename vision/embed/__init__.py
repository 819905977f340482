"""A small learned pack embedding for SKU recognition (see `vision/README.md`, "Recognition").

Run time (numpy, Pillow, onnxruntime): `crops` cuts boxes and packs to the input size,
`runtime` runs the ONNX export, `match` enrols a catalogue's reference views and
measures cosine similarity, `calibrate` chooses the open-set threshold. Training
(`make_data` writes the cached crops; `model`, `augment`, `train` and `export` need
torch, the `train` extra) is never imported at run time.
"""
