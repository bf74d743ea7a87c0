"""plantwise: production, inventory and distribution planning for multi-site supply chains."""

__version__ = "0.1.0"
