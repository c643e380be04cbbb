"""release.ship's assets: their names on a release, and a directory's tarball, the same bytes for the same files."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from mlci.errors import ReleaseError
from mlci.release.records import Artifact
from mlci.release.ship import attachment_name, attachments


@pytest.mark.parametrize(("artifact", "path", "directory", "name"), [
    ("model", "models/churn.onnx", False, "churn.onnx"),
    ("model", "models/churn model.onnx", False, "churn-model.onnx"),  # GitHub would rename it otherwise
    ("bundle", "out/bundle", True, "bundle-v1.2.0.tar.gz"),
    ("models:churn", "models/churn", True, "models-churn-v1.2.0.tar.gz"),  # a nested dvc.yaml's artifact
    ("team/churn", "churn", True, "team-churn-v1.2.0.tar.gz"),  # a GTO name with a slash
    ("model", "models/.hidden", False, "hidden"),
])
def test_an_assets_name_is_one_github_keeps(artifact: str, path: str, directory: bool, name: str) -> None:
    assert attachment_name(artifact, path, "v1.2.0", directory=directory) == name


def folder(root: Path, mode: int, when: int) -> None:
    (root / "bundle" / "sub").mkdir(parents=True, exist_ok=True)
    for rel, data in (("b.bin", b"\0\1\2" * 100), ("sub/a.txt", b"a\n"), ("a.json", b"{}\n")):
        path = root / "bundle" / rel
        path.write_bytes(data)
        path.chmod(mode)
        os.utime(path, (when, when))


def test_the_same_files_make_the_same_tarball_whatever_their_dates_and_modes(tmp_path: Path) -> None:
    made = []
    for i, (mode, when) in enumerate(((0o644, 1_700_000_000), (0o664, 1_800_000_000))):
        folder(tmp_path / str(i), mode, when)
        with attachments(tmp_path / str(i), [Artifact("bundle", "bundle")]) as found:
            made.append(found["bundle"].file.read_bytes())
            assert found["bundle"].tarball and found["bundle"].size == len(made[-1])
    assert made[0] == made[1]
    with tarfile.open(fileobj=io.BytesIO(made[0]), mode="r:gz") as tar:
        assert tar.getnames() == ["bundle", "bundle/a.json", "bundle/b.bin", "bundle/sub", "bundle/sub/a.txt"]
        assert {m.mode for m in tar.getmembers() if m.isfile()} == {0o644}


def test_an_executable_file_stays_executable_and_a_link_is_followed(tmp_path: Path) -> None:
    folder(tmp_path, 0o755, 0)
    (tmp_path / "bundle" / "link.bin").symlink_to(tmp_path / "bundle" / "b.bin")  # as DVC's symlink cache does
    with attachments(tmp_path, [Artifact("bundle", "bundle")]) as found:
        with tarfile.open(found["bundle"].file, mode="r:gz") as tar:
            link = tar.getmember("bundle/link.bin")
            assert link.isfile() and link.mode == 0o755
            assert tar.extractfile(link).read() == b"\0\1\2" * 100  # type: ignore[union-attr]


def test_a_file_is_itself_and_the_tarball_goes_afterwards(tmp_path: Path) -> None:
    folder(tmp_path, 0o644, 0)
    (tmp_path / "model.onnx").write_bytes(b"onnx")
    with attachments(tmp_path, [Artifact("model", "model.onnx"), Artifact("bundle", "bundle")]) as found:
        assert found["model"].file == tmp_path / "model.onnx" and not found["model"].tarball
        assert found["model"].asset("v1.0.0").content_type == "application/octet-stream"
        assert found["bundle"].asset("v1.0.0").content_type == "application/gzip"
        made = found["bundle"].file
        assert made.is_file()
    assert not made.exists()


@pytest.mark.parametrize(("make", "needle"), [
    (lambda root: None, "model.bin (artifact model) is not in the work tree: run the pipeline or `dvc pull` first"),
    (lambda root: (root / "model.bin").symlink_to(root / "gone"), "model.bin (artifact model) is not in the work"),
    (lambda root: os.mkfifo(root / "model.bin"), "model.bin (artifact model) is neither a file nor a directory"),
])
def test_what_cannot_be_attached_is_one_line(tmp_path: Path, make, needle: str) -> None:  # type: ignore[no-untyped-def]
    make(tmp_path)
    with pytest.raises(ReleaseError) as caught:
        with attachments(tmp_path, [Artifact("model", "model.bin")]):
            pass
    assert needle in str(caught.value) and "\n" not in str(caught.value)
