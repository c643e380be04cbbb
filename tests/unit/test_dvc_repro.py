"""Parsing `dvc repro` output into stage results, and the hint for a stage that could not import."""

from __future__ import annotations

from mlci.dvc import (
    ImportFailure,
    classify_stages,
    failed_stage_lines,
    import_failure,
    import_hint,
    install_kind,
    stage_interpreter_command,
)


def test_stage_marks_collapse_to_the_last_state() -> None:
    lines = [
        (0.0, "Stage 'prepare' didn't change, skipping"),
        (1.0, "Pulling data for stage: 'train'"),
        (1.5, "Unable to pull data for stage: 'train'"),
        (2.0, "Running stage 'train':"),
        (5.0, "Stage 'evaluate' is cached - skipping run, checking out outputs"),
    ]
    runs = classify_stages(lines, 6.0, missing_before={"prepare"})
    assert [(r.name, r.state, r.seconds) for r in runs] == [
        ("prepare", "restored", 1.0), ("train", "ran", 4.0), ("evaluate", "restored", 1.0)]


# -- a stage that could not import: which interpreter ran it ----------------------------

TRACEBACK = [
    "Running stage 'prepare':",
    "> python prepare.py",
    "Running stage 'train':",
    "> python train.py",
    "Traceback (most recent call last):",
    '  File "/p/train.py", line 1, in <module>',
    "    import sklearn.linear_model",
    "ModuleNotFoundError: No module named 'sklearn'",
    "ERROR: failed to reproduce 'train': failed to run: python train.py, exited with 1",
]


def test_a_missing_module_is_found_in_the_failed_stages_output() -> None:
    lines = failed_stage_lines(TRACEBACK, "train")
    assert lines[0] == "Running stage 'train':"
    assert import_failure(lines) == ImportFailure(kind="ModuleNotFoundError", what="'sklearn'")


def test_an_import_error_names_the_module_and_never_copies_free_text() -> None:
    assert import_failure(["ImportError: cannot import name 'LinearModel' from 'sklearn' (/x/sklearn/__init__.py)"]) == \
        ImportFailure(kind="ImportError", what="'LinearModel' from 'sklearn'")
    # A message naming no module (here a shared library, with a path) keeps only a fixed phrase.
    assert import_failure(["ImportError: libgomp.so.1: cannot open shared object file: /secret/path"]) == \
        ImportFailure(kind="ImportError", what="a module")
    assert import_failure(["    raise ImportError('x')", "ValueError: no"]) is None
    assert import_failure(["boom", "Traceback", "KeyError: 'a'"]) is None


def test_only_the_end_of_the_failed_stages_output_counts() -> None:
    earlier = ["Running stage 'prepare':", "ModuleNotFoundError: No module named 'warned'",
               "Running stage 'train':", "SystemExit: boom", "ERROR: failed to reproduce 'train'"]
    assert import_failure(failed_stage_lines(earlier, "train")) is None
    # An import error the stage printed and survived is not what stopped it.
    printed = ["ModuleNotFoundError: No module named 'optional' (falling back)", "training", "boom",
               "ERROR: failed to reproduce 'train': failed to run: python train.py, exited with 1"]
    assert import_failure(printed) is None
    # DVC's own lines after the stage's (ERROR:, and its help) are not the stage's output.
    assert import_failure(["ImportError: No module named yaml", "", "ERROR: failed to reproduce 'train'",
                           "Having any troubles? Hit us up at https://dvc.org/support"]) == \
        ImportFailure(kind="ImportError", what="'yaml'")


def test_the_interpreter_a_stage_command_starts() -> None:
    assert stage_interpreter_command("python src/train.py") == "python"
    assert stage_interpreter_command("python3.12 -m train") == "python3.12"
    assert stage_interpreter_command(".venv/bin/python train.py") == ".venv/bin/python"
    assert stage_interpreter_command("make train") == "python"
    assert stage_interpreter_command("") == "python"


def test_how_mlci_was_installed() -> None:
    assert install_kind("/home/u/.local/share/pipx/venvs/mlci", "/usr") == "a pipx venv"
    assert install_kind("/home/u/.local/pipx/venvs/mlci", "/usr") == "a pipx venv"
    assert install_kind("/home/u/.local/share/uv/tools/mlci", "/usr") == "a uv tool venv"
    assert install_kind("/repo/.venv", "/usr") == "a virtual environment"
    assert install_kind("/usr", "/usr") == "a system Python, not a virtual environment"


def test_the_hint_names_both_interpreters_and_what_to_install_where() -> None:
    failure = ImportFailure(kind="ModuleNotFoundError", what="'sklearn'")
    hint = import_hint(failure, command="python", stage_python="/usr/bin/python3", same_environment=False,
                       mlci_python="/home/u/.local/share/pipx/venvs/mlci/bin/python", mlci_install="a pipx venv",
                       requirements="requirements.txt")
    assert hint == ("could not import 'sklearn': mlci runs on /home/u/.local/share/pipx/venvs/mlci/bin/python "
                    "(a pipx venv), but the stage ran on /usr/bin/python3 (`python` on PATH); install the stage's "
                    "dependencies into it: /usr/bin/python3 -m pip install -r requirements.txt")
    assert "\n" not in hint

    same = import_hint(ImportFailure(kind="ImportError", what="'X' from 'torch'"), command=".venv/bin/python",
                       stage_python="/p/.venv/bin/python", same_environment=True, mlci_python="/p/.venv/bin/python",
                       mlci_install="a virtual environment", requirements=None)
    assert same == ("could not import 'X' from 'torch' (ImportError): the stage ran on /p/.venv/bin/python "
                    "(`.venv/bin/python`), the interpreter mlci runs on (a virtual environment); install the package "
                    "that provides 'torch' into it: /p/.venv/bin/python -m pip install PACKAGE")

    gone = import_hint(failure, command="python3", stage_python=None, same_environment=False,
                       mlci_python="/usr/bin/python3", mlci_install="a system Python, not a virtual environment",
                       requirements=None)
    assert gone.startswith("could not import 'sklearn': `python3` on PATH is not found now; mlci runs on /usr/bin/python3")

    unnamed = import_hint(ImportFailure(kind="ImportError", what="a module"), command="python", stage_python="/usr/bin/python3",
                          same_environment=False, mlci_python="/v/bin/python", mlci_install="a virtual environment",
                          requirements=None)
    assert unnamed.endswith("install the stage's dependencies into it: /usr/bin/python3 -m pip install PACKAGE")
