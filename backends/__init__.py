"""dataknobs-data 0.11's backend modules: ``dataknobs_data.backends.<name>`` with its
``Sync*``/``Async*`` class names, each a thin constructor over this project's adapter
(``dataknobs_data.adapters``). Importing a module needs no driver; the driver is imported
when the adapter first connects."""
