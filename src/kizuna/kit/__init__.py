"""Domain-free toolkit: the one generic place (clock, ids, money, errors, paging, i18n)."""
