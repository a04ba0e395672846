"""Account facts: one table of what is known about every account today (fields, tags,
health, signals, usage, activities, contacts, products, journey), and the condition
language that segments, tier rules, journey criteria and playbooks are written in."""
