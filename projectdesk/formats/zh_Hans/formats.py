"""The admin's own date display in Chinese, as the desk writes dates in tables and lists
(domain guide, section 12; ``approvals.core.display.day``): 2026-12-06, not Django's zh_Hans
"2026年12月6日", which is the form of sentences. Only the display formats are set here; input
formats and the rest fall through to Django's zh_Hans module (FORMAT_MODULE_PATH)."""

DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
