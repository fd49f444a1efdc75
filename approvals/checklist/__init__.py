"""The approval checklist (一项目一清单): the catalogue and each project's items with their
status and mode machines (``models``), the official calendar's days (``calendar``), the
foreseen start of works (``foresight``), and generating and recounting items (``services``)."""
