"""Stage changes asked for and decided (four eyes): the StageRequest and its evidence
(``models``, ``evidence``), the evidence form (``forms``), and ``workflow``, the one door
through which a request is made, decided or cancelled."""
