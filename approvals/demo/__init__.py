"""The demo's working desk (issue 19): what ``manage.py seed_demo`` builds beyond the seed —
晋中's rounds of 三个一批 since 2023 and a current year anchored to the day of the first run.
``story`` tells it (pure, seeded random: the same anchor gives the same desk), ``sheets``
writes the spreadsheets a statistician would import, ``build`` plays it through the desk's own
imports and services."""
