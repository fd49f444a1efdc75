"""Who may do what: ``permissions`` is the one name callers ask for every permission rule and the
authentication backends; it re-exports the modules beside it, one concern each (its docstring
lists them), the object form and the query form of each rule side by side."""
