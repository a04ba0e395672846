"""The deterministic demo company (`kizuna demo`): a Japanese B2B SaaS vendor.

``generate`` builds plain data from a seed, ``load_demo`` writes it to the database and
``kizuna.demo.events`` streams matching product-usage events without touching the DB.
"""

from kizuna.demo.catalog import DEMO_PASSWORD, DEMO_USERS
from kizuna.demo.generator import generate
from kizuna.demo.loader import DemoSummary, load_demo
from kizuna.demo.model import DemoData

__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "DemoData", "DemoSummary", "generate", "load_demo"]
