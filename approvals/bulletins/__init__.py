"""The weekly 督办通报 (supervision bulletin) per zone and per city, written as .docx (issue 23)."""
