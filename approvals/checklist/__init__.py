"""The approval checklist (一项目一清单): the catalogue and the modes (``catalogue``), each
project's items with their status machine and the rule of a settled item (``models``), the
records of their status and mode changes (``item_changes``), the official calendar's days
(``calendar``), the foreseen start of works (``foresight``), and generating and recounting items
(``services``)."""
