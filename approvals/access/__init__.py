"""Who may do what: ``permissions`` is the one home of every permission rule (object form and
query form side by side) and of the authentication backends that apply them."""
