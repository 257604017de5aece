"""Simplified Chinese: thousands grouped by commas ("12,345"), as the pages' scripts do (Intl.NumberFormat of
zh-Hans) and as Chinese statistical tables write figures; Django's own zh_Hans formats group nothing."""
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
