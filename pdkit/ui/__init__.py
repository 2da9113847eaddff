"""Interactive DoE tools: the in-browser prediction profiler (:mod:`pdkit.ui.profiler`) and the
explorer around it (:mod:`pdkit.ui.explorer`, also ``pdkit.explorer``).  They import bokeh and
ipywidgets; computational modules never import this package.
"""
__all__: list[str] = []
