"""Server-rendered web UI: Jinja2 + HTMX, Japanese first."""
