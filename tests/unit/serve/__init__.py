"""Tests of mlci.serve, one file per module; ``models`` makes the real ONNX models they serve."""
