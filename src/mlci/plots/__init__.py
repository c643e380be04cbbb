"""The plots a DVC project declares, base against head: collected through DVC, rendered to files.

``model`` is the result as values (a :class:`~mlci.plots.model.Plot` per figure: each
revision's status, the files drawn or why none were), pure; ``vega`` draws a Vega-Lite
specification with vl-convert (extra ``mlci[plots]``), in this process; ``collect`` is the edge
that asks DVC (:func:`mlci.dvc.plots_diff`), draws, and writes the files into a bundle
directory. A plot that is missing at a revision, or cannot be drawn, is kept with its reason.
"""
